"""Outcomes' section of the patient record (patients' `record_sections`): when the last
treatment is expected to wear off and whether the patient was invited back (what the desk's due
list shows, so anyone who may see the patient), and the outcome photos (clinicians only).
At most three queries, whatever the history."""

from __future__ import annotations

from datetime import datetime

from glabella.core.access import Actor
from glabella.core.roles import Capability
from glabella.outcomes.models import Forecast, Invitation, Photo
from glabella.patients.models import Patient
from glabella.patients.sections import Section

PHOTOS_SHOWN = 12
INVITATION_STATES = dict(Invitation.Status.choices)


def outcomes_section(actor: Actor, patient: Patient, now: datetime) -> Section | None:
    if not actor.can(Capability.VIEW_PATIENT):
        return None
    forecast = (
        Forecast.objects.filter(patient=patient, current=True)
        .select_related("treatment__invitation", "location")
        .only(
            "wear_off_on",
            "invite_from",
            "treatment__public_id",
            "location__name",
            "location__slug",
            "location__time_zone",
            "treatment__invitation__status",
            "treatment__invitation__created_at",
        )
        .first()
    )
    invitation = getattr(forecast.treatment, "invitation", None) if forecast else None
    photos: list = []
    more = False
    clinical = actor.can(Capability.VIEW_CLINICAL)
    if clinical:
        found = list(
            Photo.objects.restrict(actor, "view")
            .filter(patient=patient)
            .only("public_id", "view", "taken_on", "day")
            .order_by("-taken_on", "view", "-id")[: PHOTOS_SHOWN + 1]
        )
        photos, more = found[:PHOTOS_SHOWN], len(found) > PHOTOS_SHOWN
    return Section(
        key="outcomes",
        title="Outcome photos and re-treatment" if clinical else "Re-treatment",
        order=50,
        template="outcomes/record_outcomes.html",
        context={
            "forecast": forecast,
            "invitation": invitation,
            "invitation_state": INVITATION_STATES.get(invitation.status) if invitation else "",
            "clinical": clinical,
            "photos": photos,
            "more_photos": more,
        },
    )
