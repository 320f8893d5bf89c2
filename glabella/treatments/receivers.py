"""What treatments listens to: patients' `record_sections`, answered with the patient's
treatment records (`record_sections.py`). Connected on import by TreatmentsConfig.ready."""

from django.dispatch import receiver

from glabella.patients.signals import record_sections
from glabella.treatments.record_sections import treatments_section


@receiver(record_sections, dispatch_uid="treatments.record_sections")
def add_treatments(sender, actor, patient, now, **kwargs):
    return treatments_section(actor, patient, now)
