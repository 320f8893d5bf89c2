"""What treatments tells other apps about a treatment record, without knowing them (Django
signals).

Sent with `Signal.send` (never `send_robust`), the TreatmentRecord model as sender, so a
receiver's exception propagates. Receivers connect in their own app's `receivers.py`, imported by
its AppConfig.ready, and run in INSTALLED_APPS order (billing, aftercare, then outcomes).
"""

from django.dispatch import Signal

treatment_signed = Signal()
"""A treatment record (or an amendment of one) was signed and locked.

kwargs: `record` (the locked TreatmentRecord; `record.amends` is set for an amendment), `now`.
Sent by `lock` inside its transaction, after the record and its audit entry are
written, so what receivers write is committed with the record; a receiver that raises rolls the
signing back (billing opens the invoice of the units charted; aftercare sends instructions and
schedules check-ins; outcomes opens courses and refreshes the forecast).
"""

chart_notices = Signal()
"""A treatment record's chart page is being drawn: what do you tell the clinician about it?

kwargs: `actor` (the Actor looking), `record` (the TreatmentRecord). A receiver returns a short
sentence for the page, or "" (billing says whether the invoice waits at the desk, never an
amount). Read-only: a receiver writes nothing.
"""
