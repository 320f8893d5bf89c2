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


@register.filter
def because(value: str) -> str:
    """What set a finding off, in words: a question not answered is named by its text, never
    by its key (earlier_toxin_reaction)."""
    from glabella.screening.questionnaire import QUESTIONS

    asked = {q.question.value: q.text for q in QUESTIONS}
    if value in asked:
        return f"Not answered: {asked[value]}"
    if value == "birth_date":
        return "Date of birth not given"
    return value
