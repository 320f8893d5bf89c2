"""The desk's side of the demo: staff notes on Grace's record, written once through the notes
service, so each has its access-log row. (Website messages and their answers belong to the
portal, which the demo may not import: they are not part of the demo.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from glabella.core.access import actor_for
from glabella.core.models import StaffMember
from glabella.demo.clinic import DEMO_DOMAIN
from glabella.patients import notes
from glabella.patients.models import Patient, StaffNote

NOTES = (
    (9, "Prefers morning visits; parks on Main St, allow five minutes."),
    (2, "Asked for the same injector as last time."),
)


def load_demo_desk(now: datetime) -> int:
    """The notes, once; returns how many were written."""
    grace = Patient.objects.filter(user__username=f"patient@{DEMO_DOMAIN}").first()
    desk = StaffMember.objects.filter(user__username=f"desk@{DEMO_DOMAIN}").first()
    if grace is None or desk is None or StaffNote.objects.filter(patient=grace).exists():
        return 0
    actor = actor_for(desk.user, channel="command")
    for days_ago, text in NOTES:
        notes.add_note(actor, grace, text, now=now - timedelta(days=days_ago))
    return len(NOTES)
