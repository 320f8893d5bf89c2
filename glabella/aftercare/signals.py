"""aftercare's signals: what it tells other apps, and what it listens to.

Sends `report_recorded`. Listens to treatments' `treatment_signed` (a signed treatment sends its
aftercare instructions and schedules its check-ins). Receivers connect here, on import by
AftercareConfig.ready; they are module-level functions, so the signal's weak references hold.
"""

from django.dispatch import Signal, receiver

from glabella.treatments.signals import treatment_signed

report_recorded = Signal()
"""A patient's report (a check-in's answer or one sent unprompted) was recorded.

kwargs: `report` (the new aftercare Report, `report.treatment` set when it is about one), `now`.
Sent inside the report's transaction, after the report, its photo and any alert are written and
before its audit entry; a receiver that raises rolls the report back (outcomes: "the effect
shows" records the onset of the treatment's courses). Sent with `Signal.send`, so exceptions
propagate; the sender is the Report model.
"""


@receiver(treatment_signed, dispatch_uid="aftercare.after_treatment")
def send_aftercare(sender, record, now, **kwargs) -> None:
    from glabella.aftercare import services  # services imports this module, to send

    services.after_treatment(record, now)
