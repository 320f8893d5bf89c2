"""Clinical photos: taken (only under the patient's photo consent, of a standard view, for a
treatment), stored cleaned with a thumbnail, listed, and laid side by side before and after."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils import timezone

from glabella.aftercare import photos as cleaning
from glabella.clinic.clock import clinic_zone
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.outcomes.models import Photo, View
from glabella.outcomes.services import day_after_treatment, treated_on
from glabella.screening.consents import current_consent

NO_CONSENT = "The patient has not given (or has withdrawn) consent to clinical photographs."


def take(
    actor: Actor, treatment, *, view: object, taken_on: object, raw: bytes | None, now=None
) -> Photo:
    """Store one photo of a standard view for a treatment, all checks first, each field named:
    the clinician's right, the patient's consent, the view, the day, the image itself."""
    if actor.staff is None or not actor.can(Capability.CHANGE_CLINICAL):
        raise Forbidden("Only a clinician takes clinical photos.")
    now = now or timezone.now()
    patient = treatment.patient
    errors: dict[str, list[str]] = {}
    if treatment.amends_id is not None:
        errors["treatment"] = ["Photograph the original treatment, not an amendment."]
    today = now.astimezone(clinic_zone(patient)).date()
    consent = current_consent(patient, "photo", today)
    if consent is None:
        errors["consent"] = [NO_CONSENT]
    if view not in set(View):
        errors["view"] = [f"Choose one of the standard views: {', '.join(View)}."]
    day0 = treated_on(treatment)
    day = day_after_treatment(taken_on, "taken_on", day0, today, errors, what="photo")
    cleaned = None
    if raw is None:
        errors["photo"] = ["Choose the photo."]
    else:
        try:
            cleaned = cleaning.clean(raw)
        except ValidationFailed as failed:
            errors.update(failed.fields)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        photo = Photo.objects.create(
            patient=patient,
            treatment=treatment,
            view=view,
            taken_on=day,
            day=(day - day0).days,
            data=cleaned.data,
            thumbnail=cleaning.thumbnail(cleaned),
            width=cleaned.width,
            height=cleaned.height,
            size=len(cleaned.data),
            sha256=hashlib.sha256(cleaned.data).hexdigest(),
            consent=consent,
            taken_by=actor.staff,
            via=actor.channel,
            created_at=now,
        )
        audit.record_patient(
            actor,
            audit.Action.CREATE,
            patient,
            object_type=audit.Kind.CLINICAL_PHOTO,
            object_id=photo.public_id,
            detail={"view": view, "day": photo.day},
        )
    return photo


def listed(actor: Actor, patient):
    """A patient's photos without their bytes, oldest first, with their treatments."""
    return (
        Photo.objects.restrict(actor)
        .filter(patient=patient)
        .select_related("treatment__injector", "treatment__appointment__location")
        .defer("data", "thumbnail")
        .order_by("taken_on", "view", "id")
    )


@dataclass(frozen=True)
class Pair:
    """One view of one treatment: the newest photo before it and the photos after, by day."""

    view: str
    label: str
    treatment: object
    before: Photo | None
    after: tuple[Photo, ...]


def side_by_side(photos) -> list[Pair]:
    """Photos grouped per treatment (newest first) and view, before beside after."""
    groups: dict[tuple[int, str], list[Photo]] = {}
    treatments = {}
    for photo in photos:
        groups.setdefault((photo.treatment_id, photo.view), []).append(photo)
        treatments[photo.treatment_id] = photo.treatment
    order = {v: n for n, v in enumerate(View)}
    pairs = []
    for (treatment_id, view), members in groups.items():
        members.sort(key=lambda p: (p.taken_on, p.id))
        before = [p for p in members if p.day <= 0]
        pairs.append(
            Pair(
                view=view,
                label=View(view).label,
                treatment=treatments[treatment_id],
                before=before[-1] if before else None,
                after=tuple(p for p in members if p.day > 0),
            )
        )
    pairs.sort(key=lambda p: (-p.treatment.appointment.starts_at.timestamp(), order[p.view]))
    return pairs
