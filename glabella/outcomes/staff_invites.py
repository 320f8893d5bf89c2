"""The due list's "invite" and "invite all": the desk sends the invitation back now instead of
waiting for the scheduler, through the same `invitations.invite` (one invitation per treatment,
only by a channel the patient agreed to, never in the quiet hours: it then waits for morning).

A patient who agreed to no messages is not invited from here (nothing is recorded): the desk
sees why and calls them instead. Each invitation is its own write, with its access-log row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from glabella.core.access import Actor
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.outcomes import invitations, services
from glabella.outcomes.models import Forecast, Invitation

OVERDUE_DAYS = 30  # as the due list: further past than this, a patient is not on it
NO_CONSENT = "No consent to messages: call instead"


def require_may_invite(actor: Actor) -> None:
    if not actor.can(Capability.CHANGE_PATIENT):
        raise Forbidden("Your role may not invite patients back.")


def why_not(forecast: Forecast, invited: str | None) -> str:
    """Why this row of the due list cannot be invited now; "" when it can."""
    if invited:
        return "Already invited"
    if invitations.invite_route(forecast.patient) is None:
        return NO_CONSENT
    return ""


def invite_one(
    actor: Actor,
    location,
    treatment_public_id,
    *,
    today: date,
    now: datetime | None = None,
) -> Invitation:
    """Invite the patient of one row of the due list; ValidationFailed on `treatment` (nothing
    written) when the row is not on the list, is invited already, is booked or has no consent."""
    require_may_invite(actor)
    now = now or timezone.now()
    found = (
        Forecast.objects.filter(
            location=location,
            current=True,
            treatment__public_id=treatment_public_id,
            invite_from__gte=today - timedelta(days=OVERDUE_DAYS),
        )
        .select_related("patient", "treatment__appointment__service", "injector")
        .first()
    )

    def refuse(message: str):
        raise ValidationFailed({"treatment": [message]})

    if found is None:
        refuse("This patient is not on the due list at this location; reload the list.")
    if Invitation.objects.filter(treatment_id=found.treatment_id).exists():
        refuse(f"{found.patient.full_name} was invited already.")
    if services.booked_ahead({found.patient_id}, now):
        refuse(f"{found.patient.full_name} has a treatment booked already.")
    if invitations.invite_route(found.patient) is None:
        refuse(
            f"{found.patient.full_name} has not agreed to messages by email or text: "
            "call them instead."
        )
    invitation = invitations.invite(found, location, now, actor=actor)
    if invitation is None:
        refuse(f"{found.patient.full_name} was invited just now by someone else.")
    return invitation


@dataclass
class InvitedAll:
    invited: list[str] = field(default_factory=list)  # the names invited
    no_consent: list[str] = field(default_factory=list)  # the names to call instead


def invite_all(
    actor: Actor, location, *, today: date, ahead: int, now: datetime | None = None
) -> InvitedAll:
    """Invite everyone on the due list (this location, this window) not invited yet, who agreed
    to messages; says who was invited and whom to call."""
    require_may_invite(actor)
    now = now or timezone.now()
    rows = services.due(actor, location, today, ahead=ahead)
    invited = set(
        Invitation.objects.filter(treatment_id__in=[r.treatment_id for r in rows]).values_list(
            "treatment_id", flat=True
        )
    )
    result = InvitedAll()
    for row in rows:
        if row.treatment_id in invited:
            continue
        if invitations.invite_route(row.patient) is None:
            result.no_consent.append(row.patient.full_name)
            continue
        # One write per invitation, each with its audit row (an action, not a page: its
        # queries grow with the list, at most the due list's 500 rows).
        if invitations.invite(row, location, now, actor=actor) is not None:
            result.invited.append(row.patient.full_name)
    return result
