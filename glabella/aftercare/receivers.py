"""What aftercare listens to.

- treatments' `treatment_signed`: a signed treatment sends its aftercare instructions and
  schedules its check-ins.

Receivers connect here, on import by AftercareConfig.ready (treatments never imports aftercare);
they are module-level functions, so the signal's weak references hold.
"""

from django.dispatch import receiver

from glabella.aftercare import check_ins
from glabella.treatments.signals import treatment_signed


@receiver(treatment_signed, dispatch_uid="aftercare.after_treatment")
def send_aftercare(sender, record, now, **kwargs) -> None:
    check_ins.after_treatment(record, now)
