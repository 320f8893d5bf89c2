"""The public self-check as a visitor uses it: counted per client address first, then the verdict
of the pure self-check on the clinic's offer and policies. Nothing is stored."""

from glabella.clinic.clock import clinic_today
from glabella.core import throttle
from glabella.screening.decisions import offered_products
from glabella.screening.policy import needs_review, policies_off
from glabella.screening.selfcheck import self_check


def public_self_check(ip: str, answers: dict | None):
    """Throttled (429) past the address's limit; the verdict for the answers when the form
    parsed, None when it did not."""
    throttle.check_public_form("self-check", ip=ip)
    if answers is None:
        return None
    return self_check(
        answers,
        today=clinic_today(),
        offered=offered_products(),
        policies_off=policies_off(),
        needs_review=needs_review(),
    )
