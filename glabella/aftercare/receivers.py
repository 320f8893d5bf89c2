"""What aftercare listens to.

- treatments' `treatment_signed`: a signed treatment sends its aftercare instructions and
  schedules its check-ins.
- messaging's `text_received`: a text while one of her check-ins is open is its answer, triaged
  like the web form's (`reports.answer_by_text`).

Receivers connect here, on import by AftercareConfig.ready (treatments never imports aftercare);
they are module-level functions, so the signal's weak references hold.
"""

from django.db import transaction
from django.dispatch import receiver

from glabella.aftercare import check_ins, reports, triage
from glabella.aftercare.models import Notice, Report
from glabella.messaging.signals import text_received
from glabella.treatments.signals import treatment_signed


@receiver(treatment_signed, dispatch_uid="aftercare.after_treatment")
def send_aftercare(sender, record, now, **kwargs) -> None:
    check_ins.after_treatment(record, now)


# A report's urgency in the follow-up board's words (its badge, the follow-up page's heading).
URGENCY_WORDS = {
    triage.Urgency.URGENT: "Urgent",
    triage.Urgency.REVIEW: "Review",
    triage.Urgency.SELF_CARE: "Self-care",
}
NAMED = 3  # who was told, by name, on the text; the board lists everyone


@receiver(text_received, dispatch_uid="aftercare.text_received")
def answer_check_in(sender, text, words, actor, now, **kwargs):
    if text.handled_as or len(words) < 2 or not text.body:  # one letter answers nothing
        return None
    check_in = check_ins.open_check_in(text.patient, now)
    if check_in is None:
        return None
    with transaction.atomic():  # its own savepoint: a failure here keeps the text (see signal)
        report = reports.answer_by_text(actor, check_in, text.body, now)
    said = said_of(report, check_in.day)
    text.handled_as = said
    return said


def said_of(report: Report, day: int) -> str:
    """What the desk reads beside her text: its urgency as the follow-up board says it, and who
    was told from the notices recorded (never a claim: nobody may have been reachable)."""
    urgency = triage.Urgency(report.urgency)
    answer = f"{URGENCY_WORDS[urgency]}: her answer to the day {day} check-in"
    if urgency == triage.Urgency.SELF_CARE:
        return f"{answer}; no sign of concern."
    notices = Notice.objects.filter(alert__report=report).order_by("id")
    names = list(dict.fromkeys(f"{n.name} ({n.get_level_display().lower()})" for n in notices))
    if not names:
        act = "call her now" if urgency == triage.Urgency.URGENT else "review it today"
        return f"{answer}. Nobody could be told: ask a clinician to {act}."
    more = len(names) - NAMED
    told = ", ".join(names[:NAMED]) + (f" and {more} more" if more > 0 else "")
    return f"{answer}. Told: {told}."
