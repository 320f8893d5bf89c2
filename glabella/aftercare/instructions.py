"""Aftercare texts: which versions a treatment's patient is sent, how they are filled in, and how
the clinic publishes a new version.

A treatment is sent one general text (the product's own, else the one for any neuromodulator,
else glabella's default) and a note for each treated area that has one (the product's own for
that area, else the one for any product). Each is looked for in the patient's language first;
where the clinic has no text in it, the English one is sent (glabella's default is English).
Texts may name a few fields in braces, such as {first_name} or {clinic_phone}; anything else in
braces is refused when the text is published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from glabella.aftercare.models import AREAS, Instructions, area_of
from glabella.catalogue import urgent
from glabella.catalogue.products import PRODUCT_NAMES
from glabella.core import audit, phones
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.core.text import CONTROL

DEFAULT_TITLE = "After your treatment"
DEFAULT_BODY = """\
Today
Keep your hands off the treated area: no touching, rubbing or massaging, so that the product stays \
where it was placed. Stay upright for four hours, and leave out hard exercise, saunas and facials \
until tomorrow.

What is normal
A little soreness, redness, swelling or a small bruise where the needle went in, a headache or a \
flu-like feeling. These pass on their own within days. A cool pack, gently held, helps.

When it works
You will notice the effect within a few days; it is fullest after about two weeks. We will check \
in with you after one day and after two weeks.

Call us the same day if
An eyelid or eyebrow droops, an eye will not close, your smile is lopsided or your face looks \
uneven, your eyes feel dry or irritated, swelling grows or comes with a fever, or you have severe \
pain or a severe headache. Call us on {clinic_phone}, or tell us from the patient portal.

"""
# What needs help right away is worded once, in the catalogue; this text has braces of its own.
DEFAULT_BODY += (
    f"{urgent.GET_HELP.capitalize()}: {urgent.CALL} if\n"
    f"You have {urgent.in_full()}. {urgent.SAY_TOXIN.capitalize()}. This can happen hours "
    "to weeks after treatment. Then let us know.\n\n"
    f"{urgent.DO_NOT_DRIVE}\n"
)

FIELDS = {
    "first_name": "the patient's first (or preferred) name",
    "clinic_name": "the clinic's name",
    "clinic_phone": "the phone number of the location where they were treated",
    "product": "the product used",
}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_TITLE = 200
MAX_BODY = 8000
ENGLISH = "en"
LANGUAGES = dict(settings.LANGUAGES)


def ensure_default() -> Instructions:
    """The text for any neuromodulator, published from glabella's default on first use."""
    found = (
        Instructions.objects.filter(product="", area="", language=ENGLISH)
        .order_by("-version")
        .first()
    )
    if found is None:
        try:
            with transaction.atomic():
                found = Instructions.objects.create(
                    product="",
                    area="",
                    language=ENGLISH,
                    version=1,
                    title=DEFAULT_TITLE,
                    body=DEFAULT_BODY,
                    actor_label="glabella default text",
                )
        except IntegrityError:
            found = Instructions.objects.get(product="", area="", language=ENGLISH, version=1)
    return found


def current(product: str, area: str, language: str = ENGLISH) -> Instructions | None:
    """The newest version for exactly this product, area and language, unless it was
    withdrawn."""
    newest = (
        Instructions.objects.filter(product=product, area=area, language=language)
        .order_by("-version")
        .first()
    )
    return newest if newest is not None and newest.active else None


def _languages(language: str) -> list[str]:
    """Where to look, in order: the patient's language, then English."""
    return list(dict.fromkeys([language if language in LANGUAGES else ENGLISH, ENGLISH]))


def texts_for(product: str, chart_areas, language: str = ENGLISH) -> list[Instructions]:
    """The general text first, then one note per treated area that has one; each the most
    particular in `language`, else the most particular in English."""
    looks = _languages(language)
    general = (
        next(
            (t for lang in looks for t in (current(product, "", lang), current("", "", lang)) if t),
            None,
        )
        or ensure_default()
    )
    notes = []
    for area in dict.fromkeys(a for a in map(area_of, chart_areas) if a):
        note = next(
            (
                t
                for lang in looks
                for t in (current(product, area, lang), current("", area, lang))
                if t
            ),
            None,
        )
        if note is not None:
            notes.append(note)
    return [general, *notes]


@dataclass(frozen=True)
class Filled:
    title: str
    body: str


def fill(texts: list[Instructions], values: dict[str, str]) -> Filled:
    """The texts as one message, their fields filled in."""

    def put(text: str) -> str:
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), text)

    general, *notes = texts
    parts = [put(general.body).strip()]
    parts += [f"{put(n.title)}\n{put(n.body).strip()}" for n in notes]
    return Filled(title=put(general.title), body="\n\n".join(parts) + "\n")


def values_for(record) -> dict[str, str]:
    patient = record.patient
    location = record.appointment.location
    return {
        "first_name": patient.preferred_name or patient.given_name,
        "clinic_name": location.organisation.name,
        "clinic_phone": phones.display(location.phone),
        "product": PRODUCT_NAMES.get(record.product, record.product),
    }


def publish(
    actor: Actor,
    *,
    product: str,
    area: str,
    title: str,
    body: str,
    active: bool = True,
    language: str = ENGLISH,
) -> Instructions:
    """A new version of the text for `product` (blank: any) and `area` (blank: the general
    text) in `language`. With `active` False it withdraws that text, so the more general one
    applies (or, for a Spanish text, the English one)."""
    if not actor.can(Capability.MANAGE_CONSENT_FORMS):
        raise Forbidden("Your role may not change the aftercare texts.")
    errors: dict[str, list[str]] = {}
    if product not in ("", *PRODUCT_NAMES):
        errors["product"] = ["Choose a product, or any."]
    if area not in ("", *AREAS):
        errors["area"] = ["Choose an area, or the general text."]
    if language not in LANGUAGES:
        errors["language"] = ["Choose the language the text is written in."]
    title = " ".join(str(title or "").split())
    body = str(body or "").replace("\r\n", "\n").strip()
    if active:
        if not title or len(title) > MAX_TITLE:
            errors["title"] = [f"Give a title of up to {MAX_TITLE} characters."]
        if not body or len(body) > MAX_BODY:
            errors["body"] = [f"Write the text, up to {MAX_BODY} characters."]
        elif CONTROL.search(body):
            errors["body"] = ["The text holds characters that cannot be shown."]
        else:
            unknown = sorted({m.strip() for m in PLACEHOLDER.findall(body + title)} - set(FIELDS))
            if unknown:
                errors["body"] = [
                    f"Unknown field {{{unknown[0]}}}; the fields are "
                    + ", ".join(f"{{{f}}}" for f in FIELDS)
                    + "."
                ]
    elif not product and not area and language == ENGLISH:
        errors["active"] = ["The text for any neuromodulator is always used; edit it instead."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        if not product and not area:
            ensure_default()
        last = Instructions.objects.filter(product=product, area=area, language=language).aggregate(
            n=Max("version")
        )
        text = Instructions.objects.create(
            product=product,
            area=area,
            language=language,
            version=(last["n"] or 0) + 1,
            title=title if active else "",
            body=body if active else "",
            active=active,
            actor_label=actor.label[:200],
        )
        audit.record(
            actor,
            audit.Action.CREATE,
            audit.Kind.AFTERCARE_TEXT,
            text.pk,
            detail={
                "product": product,
                "area": area,
                "language": language,
                "version": text.version,
                "active": active,
            },
        )
    return text


def overview() -> list[dict]:
    """Every text the clinic has, current version first, for the editing page: each product and
    area with its English text, then its text in each other language."""
    ensure_default()
    newest: dict[tuple[str, str, str], Instructions] = {}
    for text in Instructions.objects.order_by("product", "area", "language", "-version"):
        newest.setdefault((text.product, text.area, text.language), text)
    order = list(LANGUAGES)
    return [
        {
            "product": product,
            "area": area,
            "language": language,
            "product_name": PRODUCT_NAMES.get(product, "Any neuromodulator"),
            "area_name": AREAS.get(area, "General text"),
            "language_name": LANGUAGES[language],
            "text": text,
        }
        for (product, area, language), text in sorted(
            newest.items(),
            key=lambda item: (item[0][0], item[0][1], order.index(item[0][2])),
        )
    ]
