"""What aftercare tells other apps: `report_recorded`, `adverse_event_recorded`. What it listens
to: `receivers.py`."""

from django.dispatch import Signal

report_recorded = Signal()
"""A patient's report (a check-in's answer or one sent unprompted) was recorded.

kwargs: `report` (the new aftercare Report, `report.treatment` set when it is about one), `now`.
Sent inside the report's transaction, after the report, its photo and any alert are written and
before its audit entry; a receiver that raises rolls the report back (outcomes: "the effect
shows" records the onset of the treatment's courses). Sent with `Signal.send`, so exceptions
propagate; the sender is the Report model.
"""

adverse_event_recorded = Signal()
"""A clinician recorded an adverse event.

kwargs: `event` (the new AdverseEvent), `now`. Sent by `medwatch.open_event` inside its
transaction, after the event and its audit entry are written; a receiver that raises rolls the
recording back (webhooks writes its deliveries). Sent with `Signal.send`, so exceptions
propagate; the sender is the AdverseEvent model.
"""
