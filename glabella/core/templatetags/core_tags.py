"""Template filters and tags every app's pages may use."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import formats
from django.utils.html import format_html

from glabella.catalogue import areas, products, urgent
from glabella.core import language, phones
from glabella.core.roles import Role

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """A stored E.164 number as people read it: (805) 555-0100."""
    return phones.display(e164)


@register.simple_tag
def urgent_help(form: str = "line") -> str:
    """The urgent advice as the catalogue words it: "line" for a footer, "hint" on a page where
    a patient tells us how they are, "hint-waiting" where they also wait for our answer,
    "call-now" as a heading."""
    lang = language.current()
    if form == "call-now":
        return urgent.words(lang).CALL_NOW
    if form == "line":
        return urgent.one_line(lang)
    return urgent.if_you_have(waiting=form == "hint-waiting", lang=lang)


@register.filter
def phone_link(e164: str) -> str:
    """A stored number as a link a phone can dial: <a href="tel:+18055550100">(805) 555-0100</a>."""
    if not e164:
        return ""
    return format_html('<a href="tel:{}">{}</a>', e164, phones.display(e164))


@register.filter
def money(amount) -> str:
    """An amount in dollars as people read it: $17,980.00 (and -$5.00). Empty for None."""
    if amount is None or amount == "":
        return ""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


@register.filter
def longdate(value) -> str:
    """A day as a heading: Tuesday, December 1, 2026 / martes 1 de diciembre de 2026 (an instant
    in the active zone)."""
    if not value:
        return ""
    return language.long_date(value)


@register.filter
def area(key: str) -> str:
    """A stored area key in people's words: lateral_canthal_right -> "Crow's feet, patient's
    right" (never the key itself on a page)."""
    return areas.any_area_name(key, language.current()) if key else ""


@register.filter
def product(key: str) -> str:
    """A stored product key as its label names it: botox_cosmetic -> "BOTOX Cosmetic (...)"."""
    return products.product_name(key) if key else ""


_WHO = {"patient": "Patient", "anonymous": "Visitor", "system": "The system"}


@register.filter
def role_name(value: str) -> str:
    """A stored role as people say it: medical_director -> "Medical director"."""
    return dict(Role.choices).get(value) or _WHO.get(value, (value or "").replace("_", " "))


@register.filter
def iso_day(value) -> str:
    """A day stored as ISO text (in answers kept as JSON) in the house's style: Dec 1, 2026."""
    from datetime import date

    if not value:
        return ""
    try:
        return formats.date_format(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)
