"""Which actions a visit may take now, at the desk: check in, complete, no-show, move, cancel.

One answer for both sides: the calendar offers exactly these buttons, and each write refuses any
other with the reason below (asked again under the appointment's row lock, so two desks acting at
once cannot both succeed). It reads only the visit's status and start, the clinic's zone and now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from glabella.scheduling.models import Status


class VisitAction(StrEnum):
    CHECK_IN = "check-in"
    COMPLETE = "complete"
    NO_SHOW = "no-show"
    CANCEL = "cancel"
    PATIENT_CANCELLED = "patient-cancelled"  # the patient called: counts as their cancellation
    MOVE = "move"  # another time, day, provider (the calendar's move page and its drag)
    TREAT_NOW = "treat-now"  # a consultation goes on as the treatment (scheduling/treat_now.py)


LABELS = {
    VisitAction.CHECK_IN: "Check in",
    VisitAction.COMPLETE: "Complete",
    VisitAction.NO_SHOW: "No-show",
    VisitAction.CANCEL: "Cancel",
    VisitAction.PATIENT_CANCELLED: "Patient canceled",
    VisitAction.MOVE: "Move",
    VisitAction.TREAT_NOW: "Treat in this visit",
}
# From which states each action may be taken, and the state it leads to.
FROM = {
    VisitAction.CHECK_IN: (Status.BOOKED,),
    VisitAction.COMPLETE: (Status.CHECKED_IN,),
    VisitAction.NO_SHOW: (Status.BOOKED,),
    VisitAction.CANCEL: (Status.BOOKED, Status.CHECKED_IN),
    VisitAction.PATIENT_CANCELLED: (Status.BOOKED,),
    VisitAction.MOVE: (Status.BOOKED,),
    VisitAction.TREAT_NOW: (Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED),
}
# What the calendar card offers, in its order (a patient's call is recorded from the record).
ON_THE_CARD = (
    VisitAction.CHECK_IN,
    VisitAction.NO_SHOW,
    VisitAction.COMPLETE,
    VisitAction.MOVE,
    VisitAction.CANCEL,
)
# The actions that ask something first (the new time; the reason), so the calendar links them to
# their own page instead of posting at once.
WITH_A_FORM = frozenset({VisitAction.MOVE, VisitAction.CANCEL})


def refusal(
    action: VisitAction, status: str, starts_at: datetime, now: datetime, zone: ZoneInfo, to=None
) -> str | None:
    """Why this action may not be taken on this visit now; None when it may."""
    if status not in FROM[action]:
        becomes = f"; it cannot become {Status(to).label.lower()}" if to else ""
        return f"This appointment is {Status(status).label.lower()}{becomes}."
    if (
        action is VisitAction.CHECK_IN
        and starts_at.astimezone(zone).date() != now.astimezone(zone).date()
    ):
        return "Patients can be checked in on the day only."
    if action is VisitAction.NO_SHOW and now < starts_at:
        return "A patient can be marked a no-show only after the start time."
    return None


def allowed(status: str, starts_at: datetime, now: datetime, zone: ZoneInfo) -> list[VisitAction]:
    """The actions the calendar card offers for this visit now."""
    return [a for a in ON_THE_CARD if refusal(a, status, starts_at, now, zone) is None]


def treat_refusal(
    kind: str, status: str, starts_at: datetime, now: datetime, zone: ZoneInfo, decided: str | None
) -> str | None:
    """Why this visit may not go on as a treatment now; None when it may. `kind` is the
    service's kind; `decided` is why no signed decision covers the visit (None: one does), as the
    apps listening to `treatment_clearance_asked` answered."""
    if kind != "consultation":
        return "Only a consultation goes on as a treatment."
    if status not in FROM[VisitAction.TREAT_NOW]:
        return f"This consultation is {Status(status).label.lower()}."
    if starts_at.astimezone(zone).date() != now.astimezone(zone).date():
        return "A consultation goes on as a treatment on its own day only."
    if now < starts_at - timedelta(hours=1):
        return "This consultation has not begun."
    return decided
