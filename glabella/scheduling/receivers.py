"""What scheduling listens to: patients' `record_sections`, answered with the patient's visits
(`record_sections.py`); messaging's `text_received`, where a reply "C" confirms her next visit
(`confirmations.py`). Connected on import by SchedulingConfig.ready."""

from django.db import transaction
from django.dispatch import receiver

from glabella.messaging.signals import text_received
from glabella.patients.signals import record_sections
from glabella.scheduling.confirmations import confirm_by_text
from glabella.scheduling.record_sections import visits_section


@receiver(record_sections, dispatch_uid="scheduling.record_sections")
def add_visits(sender, actor, patient, now, **kwargs):
    return visits_section(actor, patient, now)


@receiver(text_received, dispatch_uid="scheduling.text_received")
def confirm_visit(sender, text, words, actor, now, **kwargs):
    if text.handled_as:
        return None
    with transaction.atomic():  # its own savepoint: a failure here keeps the text (see signal)
        said = confirm_by_text(actor, text.patient, words, now)
    if said:
        text.handled_as = said
    return said
