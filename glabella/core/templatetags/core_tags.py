"""Template filters and tags every app's pages may use."""

from django import template

from glabella.catalogue import urgent
from glabella.core import phones

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
    if form == "call-now":
        return urgent.CALL_NOW
    if form == "line":
        return urgent.one_line()
    return urgent.if_you_have(waiting=form == "hint-waiting")
