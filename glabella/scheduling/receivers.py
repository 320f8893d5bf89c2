"""What scheduling listens to: patients' `record_sections`, answered with the patient's visits
(`record_sections.py`). Connected on import by SchedulingConfig.ready."""

from django.dispatch import receiver

from glabella.patients.signals import record_sections
from glabella.scheduling.record_sections import visits_section


@receiver(record_sections, dispatch_uid="scheduling.record_sections")
def add_visits(sender, actor, patient, now, **kwargs):
    return visits_section(actor, patient, now)
