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

from glabella.aftercare import check_ins, reports
from glabella.messaging.signals import text_received
from glabella.treatments.signals import treatment_signed


@receiver(treatment_signed, dispatch_uid="aftercare.after_treatment")
def send_aftercare(sender, record, now, **kwargs) -> None:
    check_ins.after_treatment(record, now)


TRIAGE_WORDS = {
    "urgent": "urgent, the on-call clinician is alerted",
    "review": "a clinician reviews it",
    "self_care": "no sign of concern",
}


@receiver(text_received, dispatch_uid="aftercare.text_received")
def answer_check_in(sender, text, words, actor, now, **kwargs):
    if text.handled_as or len(words) < 2 or not text.body:  # one letter answers nothing
        return None
    check_in = check_ins.open_check_in(text.patient, now)
    if check_in is None:
        return None
    with transaction.atomic():  # its own savepoint: a failure here keeps the text (see signal)
        report = reports.answer_by_text(actor, check_in, text.body, now)
    verdict = TRIAGE_WORDS.get(report.urgency, "")
    said = f"Taken as the answer to her day-{check_in.day} check-in: {verdict}."
    text.handled_as = said
    return said
