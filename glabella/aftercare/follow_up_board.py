"""The follow-up board: open alerts, urgent first, with how long each has waited and how far
it has gone, and a clinician's acknowledgement that stops its escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from glabella.aftercare import escalation, triage
from glabella.aftercare.models import Alert
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.roles import Capability

Action = audit.Action


@dataclass(frozen=True)
class Waiting:
    """An open alert as the board shows it: how long it has waited and how far it has gone."""

    alert: Alert
    waited: str
    notices: list
    next_level: str  # '' when nobody is left to tell
    overdue: bool
    areas: list  # (area, units, points) of the treatment, in the order charted


def by_area(points) -> list[tuple[str, Decimal, int]]:
    """A treatment's injection points as the board reads them: one line per area with its units
    and how many points (five glabellar points are "between the brows 20 U, 5 points")."""
    totals: dict[str, list] = {}
    for point in points:
        total = totals.setdefault(point.area, [Decimal(0), 0])
        total[0] += point.units
        total[1] += 1
    return [(area, units, count) for area, (units, count) in totals.items()]


LEVEL_NAMES = {
    escalation.ON_CALL: "the on-call clinicians",
    escalation.MEDICAL_DIRECTOR: "the medical director",
    escalation.OWNER: "the owner",
}


def waiting(alerts, now: datetime) -> list[Waiting]:
    rows = []
    for alert in alerts:
        after = escalation.levels_after(alert.level)
        treated = alert.report.treatment
        rows.append(
            Waiting(
                alert=alert,
                waited=escalation.waited(alert.opened_at, now),
                notices=list(alert.notices.all()),
                next_level=LEVEL_NAMES[after[0]] if after and alert.escalate_at else "",
                overdue=alert.due_by < now,
                areas=by_area(treated.points.all()) if treated else [],
            )
        )
    return rows


def acknowledge(actor: Actor, alert: Alert, *, contact: str, advice: str, outcome: str, now=None):
    if not actor.can(Capability.CHANGE_CLINICAL):
        raise Forbidden("Only a clinician acknowledges an alert.")
    errors = {}
    for name, value in (("contact", contact), ("advice", advice), ("outcome", outcome)):
        if not isinstance(value, str) or len(value) > 2000:
            errors[name] = ["Keep it to 2000 characters."]
    if not (contact or "").strip():
        errors["contact"] = ["Say who spoke to the patient, and how."]
    if errors:
        raise ValidationFailed(errors)
    now = now or timezone.now()
    with write_transaction():
        updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now,
            acknowledged_by=actor.saved_user,
            contact=contact.strip(),
            advice=(advice or "").strip(),
            outcome=(outcome or "").strip(),
            escalate_at=None,  # acknowledged: it goes no further
        )
        if not updated:
            raise Conflict("This alert has already been acknowledged.")
        audit.record_patient(
            actor,
            Action.UPDATE,
            alert.patient,
            object_type=audit.Kind.AFTERCARE_ALERT,
            object_id=alert.public_id,
            detail={"acknowledged": True},
        )
    alert.refresh_from_db()
    return alert


def open_alerts(actor):
    """Urgent first, then reviews by when they are due; each with who was told (of the alerts
    the actor may see: their clinic's)."""
    alerts = list(
        Alert.objects.restrict(actor, "view")
        .filter(acknowledged_at__isnull=True)
        .select_related("patient", "report__treatment__vial__lot", "report__treatment__injector")
        .prefetch_related("report__treatment__points", "notices__message", "notices__staff")
    )
    alerts.sort(key=lambda a: (a.urgency != triage.Urgency.URGENT, a.due_by))
    return alerts
