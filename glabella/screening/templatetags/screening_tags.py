"""Template helpers for screening pages: consent text laid out in headed paragraphs."""

from django import template

register = template.Library()


@register.filter
def paragraphs(body: str) -> list[tuple[str, str]]:
    """A consent text as (heading, text) pairs: paragraphs are separated by a blank line, and
    a paragraph of more than one line starts with its heading (as in the PDF)."""
    out = []
    for block in (body or "").strip().split("\n\n"):
        heading, _, rest = block.partition("\n")
        out.append((heading, rest.replace("\n", " ")) if rest else ("", heading))
    return out


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


OUTCOMES = {"eligible": "Eligible", "review": "Review", "not_eligible": "Not eligible"}


@register.filter
def outcome_label(outcome) -> str:
    return OUTCOMES.get(str(outcome), str(outcome))
