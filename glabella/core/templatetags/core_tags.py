"""Template filters every app's pages may use."""

from django import template

from glabella.core import phones

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """A stored E.164 number as people read it: (805) 555-0100."""
    return phones.display(e164)
