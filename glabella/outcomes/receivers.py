"""What outcomes listens to (it sends no signal of its own).

- treatments' `treatment_signed`: a signed treatment (or an amendment) opens or updates its
  courses and refreshes its forecast. It runs after aftercare's receiver (INSTALLED_APPS order),
  as before; it reads none of aftercare's rows.
- aftercare's `report_recorded`: the day-14 answer "the effect shows" records the onset of the
  treatment's courses.
- patients' `record_sections`: re-treatment and outcome photos on the patient record.

Receivers connect here, on import by OutcomesConfig.ready; they are module-level functions, so the
signals' weak references hold.
"""

from django.dispatch import receiver

from glabella.aftercare.signals import report_recorded
from glabella.outcomes import durations, services
from glabella.outcomes.record_sections import outcomes_section
from glabella.patients.signals import record_sections
from glabella.treatments.signals import treatment_signed


@receiver(treatment_signed, dispatch_uid="outcomes.after_treatment")
def refresh_forecast(sender, record, now, **kwargs) -> None:
    services.after_treatment(record, now)


@receiver(report_recorded, dispatch_uid="outcomes.after_report")
def record_onset(sender, report, now, **kwargs) -> None:
    durations.after_report(report, now)


@receiver(record_sections, dispatch_uid="outcomes.record_sections")
def add_outcomes(sender, actor, patient, now, **kwargs):
    return outcomes_section(actor, patient, now)
