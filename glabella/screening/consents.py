"""Consent: the documents a patient signs (`publish_consent` adds a version of a consent text)
and their signatures: `sign_consent` records the patient's signature on the current version,
as shown to them, with the PDF; `withdraw_consent` withdraws it; `current_consent` is the
signature that still holds. Each write is one transaction with its audit row.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from glabella.catalogue.areas import area_name
from glabella.catalogue.products import MEDICATION_GUIDES
from glabella.clinic.clock import clinic_today, clinic_zone
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from glabella.core.roles import Capability
from glabella.core.text import CONTROL, fold
from glabella.patients.models import (
    Patient,
)
from glabella.screening import pdf
from glabella.screening.actors import actor_label, is_the_patient
from glabella.screening.consent_texts import DEFAULTS, OFF_LABEL
from glabella.screening.decisions import add_months, current_decision, offered_products
from glabella.screening.models import (
    ConsentDocument,
    ConsentKind,
    ConsentWithdrawal,
    SignedConsent,
    Via,
)

Action = audit.Action


def text_of(title: str, version: int, body: str) -> str:
    """The exact text a patient signs, as hashed."""
    return f"{title}\nVersion {version}\n\n{body}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_default_consents(now: datetime | None = None) -> None:
    """Publishes the shipped consent texts as version 1 of each kind that has none yet."""
    for kind, (title, body) in DEFAULTS.items():
        if ConsentDocument.objects.filter(kind=kind).exists():
            continue
        # Another process may publish it meanwhile: then the unique version refuses this one.
        with contextlib.suppress(IntegrityError), transaction.atomic():
            ConsentDocument.objects.create(
                kind=kind,
                version=1,
                title=title,
                body=body,
                text_sha256=sha256(text_of(title, 1, body)),
                published_at=now or timezone.now(),
                actor_label="glabella default text",
            )


def current_documents() -> dict[str, ConsentDocument]:
    latest: dict[str, ConsentDocument] = {}
    for doc in ConsentDocument.objects.order_by("kind", "-version"):
        latest.setdefault(doc.kind, doc)
    return latest


def publish_consent(actor: Actor, kind: str, title: str, body: str, *, now=None) -> ConsentDocument:
    if not actor.can(Capability.MANAGE_CONSENT_FORMS):
        raise Forbidden("Only the medical director or the owner publishes consent documents.")
    errors: dict[str, list[str]] = {}
    if kind not in ConsentKind.values:
        errors["kind"] = ["Choose the treatment the consent is for."]
    title = " ".join((title or "").split())
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"
    if not 3 <= len(title) <= 200 or CONTROL.search(title):
        errors["title"] = ["Give a title of 3 to 200 plain characters."]
    if not 50 <= len(body) <= 20000:
        errors["body"] = ["The text must be 50 to 20,000 characters."]
    elif CONTROL.search(body.replace("\n", "")):
        errors["body"] = ["Remove the control characters."]
    if errors:
        raise ValidationFailed(errors)
    try:
        with write_transaction():
            last = ConsentDocument.objects.filter(kind=kind).order_by("-version").first()
            version = (last.version if last else 0) + 1
            doc = ConsentDocument.objects.create(
                kind=kind,
                version=version,
                title=title,
                body=body,
                text_sha256=sha256(text_of(title, version, body)),
                published_at=now or timezone.now(),
                published_by=actor.saved_user,
                actor_label=actor_label(actor),
            )
            audit.record(
                actor,
                Action.CREATE,
                audit.Kind.CONSENT_DOCUMENT,
                doc.public_id,
                detail={"kind": kind, "version": version},
            )
    except IntegrityError:
        raise Conflict(
            "Someone published a version at the same moment; reload and try again."
        ) from None
    return doc


@dataclass(frozen=True)
class ConsentText:
    """What the patient reads and signs: the document's text, with the off-label paragraph
    when their current decision allows an area off the product's label."""

    body: str
    off_label_areas: tuple[str, ...]
    text_sha256: str


def consent_text(document: ConsentDocument, patient: Patient, today: date) -> ConsentText:
    areas: list[str] = []
    if document.kind == ConsentKind.NEUROMODULATOR:
        decision, state = current_decision(patient, today)
        if decision is not None and state.current:
            for line in decision.lines.all():
                if line.off_label and line.allowed and line.area not in areas:
                    areas.append(line.area)
    if not areas:
        return ConsentText(document.body, (), document.text_sha256)
    heading, paragraph = OFF_LABEL
    names = ", ".join(area_name(a).lower() for a in areas)
    body = document.body.rstrip("\n") + f"\n\n{heading}\n{paragraph.format(areas=names)}\n"
    return ConsentText(body, tuple(areas), sha256(text_of(document.title, document.version, body)))


def medication_guides() -> list[tuple[str, str]]:
    """(product, version) of the Medication Guides of the products the clinic offers."""
    return [(p.value, MEDICATION_GUIDES[p].version) for p in offered_products()]


def current_consent(
    patient: Patient, kind: str, today: date, *, documents: dict | None = None
) -> SignedConsent | None:
    """The patient's signature on the current version of this consent, if it is not withdrawn
    and not older than CONSENT_VALID_MONTHS. `documents`: current_documents(), if already read."""
    document = (documents if documents is not None else current_documents()).get(kind)
    if document is None or patient.pk is None:
        return None
    signed = (
        SignedConsent.objects.filter(patient=patient, document=document, withdrawal__isnull=True)
        .order_by("-signed_at", "-id")
        .first()
    )
    if signed is None:
        return None
    signed_on = signed.signed_at.astimezone(clinic_zone(patient)).date()
    if add_months(signed_on, settings.CONSENT_VALID_MONTHS) < today:
        return None
    return signed


def consent_overview(patient: Patient, today: date) -> list[dict]:
    """Per kind: the current document, the current signature (or None)."""
    docs = current_documents()
    return [
        {
            "kind": kind,
            "label": label,
            "document": docs.get(kind),
            "signed": current_consent(patient, kind, today, documents=docs),
        }
        for kind, label in ConsentKind.choices
    ]


MAX_STROKES = 100
MAX_POINTS = 5000


def clean_strokes(raw: object) -> list[list[list[int]]]:
    """A drawn signature: strokes of points, each 0-1000 on both axes. Raises ValueError with
    what is wrong."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except ValueError:
            raise ValueError("The signature could not be read; please draw it again.") from None
    if not isinstance(raw, list) or len(raw) > MAX_STROKES:
        raise ValueError("The signature could not be read; please draw it again.")
    strokes, total = [], 0
    for stroke in raw:
        if not isinstance(stroke, list):
            raise ValueError("The signature could not be read; please draw it again.")
        points = []
        for point in stroke:
            if (
                not isinstance(point, list)
                or len(point) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)
                or not all(math.isfinite(v) and 0 <= v <= 1000 for v in point)
            ):
                raise ValueError("The signature could not be read; please draw it again.")
            points.append([round(point[0]), round(point[1])])
        total += len(points)
        if points:
            strokes.append(points)
    if total > MAX_POINTS:
        raise ValueError("The signature has too many points; please draw it again, simply.")
    if strokes:
        xs = [p[0] for s in strokes for p in s]
        ys = [p[1] for s in strokes for p in s]
        if max(xs) - min(xs) < 30 and max(ys) - min(ys) < 30:
            raise ValueError("Please draw your signature across the box; a dot is not enough.")
    return strokes


def _name_matches(typed: str, patient: Patient) -> bool:
    words = set(re.sub(r"[^a-z0-9 ]", " ", fold(typed)).split())
    family = set(re.sub(r"[^a-z0-9 ]", " ", fold(patient.family_name)).split())
    given = set(re.sub(r"[^a-z0-9 ]", " ", fold(patient.given_name)).split())
    preferred = set(re.sub(r"[^a-z0-9 ]", " ", fold(patient.preferred_name)).split())
    return bool(family) and family <= words and bool(words & (given | preferred))


def sign_consent(
    actor: Actor,
    patient: Patient,
    document: ConsentDocument,
    *,
    typed_name: str,
    strokes: object,
    adopt_typed: bool,
    shown_sha256: str,
    via: str,
    user_agent: str = "",
    medication_guide: object = None,
    now: datetime | None = None,
) -> SignedConsent:
    """The patient signs the current version of a consent document (never staff for them), as
    shown to them (`consent_text`: with the off-label paragraph when their decision has
    off-label lines). `medication_guide`: the product whose Medication Guide they were given,
    recorded with its version (the treatment consent's form asks for it)."""
    if not is_the_patient(actor, patient):
        raise Forbidden("Only the patient signs their consent.")
    now = now or timezone.now()
    current = current_documents().get(document.kind)
    text = consent_text(document, patient, clinic_today(patient, now))
    if current is None or current.pk != document.pk or shown_sha256 != text.text_sha256:
        raise Conflict("The clinic has published a newer version of this form: please read it.")
    errors: dict[str, list[str]] = {}
    guide_version = ""
    if medication_guide not in (None, ""):
        guides = dict(medication_guides())
        if document.kind != ConsentKind.NEUROMODULATOR:
            errors["medication_guide"] = ["A Medication Guide goes with a treatment consent."]
        elif not isinstance(medication_guide, str) or medication_guide not in guides:
            errors["medication_guide"] = [
                "Choose the Medication Guide you were given, from the products the clinic offers."
            ]
        else:
            guide_version = guides[medication_guide]
    typed = " ".join((typed_name or "").split())
    if not typed:
        errors["typed_name"] = ["Type your full name."]
    elif len(typed) > 200 or CONTROL.search(typed):
        errors["typed_name"] = ["Type your name in at most 200 plain characters."]
    elif not _name_matches(typed, patient):
        errors["typed_name"] = ["Type your full name as the clinic has it on your record."]
    try:
        drawn = clean_strokes(strokes)
    except ValueError as exc:
        errors["signature"] = [str(exc)]
        drawn = []
    if adopt_typed and drawn:
        errors["signature"] = ["Either draw your signature or sign with your typed name, not both."]
    elif not adopt_typed and not drawn and "signature" not in errors:
        errors["signature"] = [
            "Draw your signature in the box, or choose to sign with your typed name."
        ]
    if errors:
        raise ValidationFailed(errors)
    method = SignedConsent.Method.TYPED if adopt_typed else SignedConsent.Method.DRAWN
    zone = clinic_zone(patient)
    consent = SignedConsent(
        patient=patient,
        document=document,
        typed_name=typed,
        method=method,
        strokes=drawn,
        signed_at=now,
        via=via,
        ip=actor.ip,
        user_agent=(user_agent or "")[:300],
        text_sha256=text.text_sha256,
        actor_label=actor_label(actor),
        off_label_areas=list(text.off_label_areas),
        medication_guide=medication_guide if guide_version else "",
        medication_guide_version=guide_version,
    )
    from glabella.core import brand

    consent.pdf = pdf.render(
        pdf.ConsentRecord(
            clinic=brand.current().letterhead,
            title=document.title,
            version=document.version,
            body=text.body,
            patient_name=f"{patient.given_name} {patient.family_name}",
            birth_date=patient.birth_date.isoformat(),
            typed_name=typed,
            method=method,
            strokes=drawn,
            signed_at=now.astimezone(zone),
            ip=actor.ip or "",
            via=Via(via).label,
            text_sha256=text.text_sha256,
            consent_id=str(consent.public_id),
            medication_guide=guide_version,
        )
    )
    consent.pdf_sha256 = hashlib.sha256(consent.pdf).hexdigest()
    with write_transaction():
        consent.save()
        audit.record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type=audit.Kind.CONSENT,
            object_id=consent.public_id,
            detail={
                "kind": document.kind,
                "version": document.version,
                "method": method,
                "medication_guide": guide_version,
                "off_label_areas": list(text.off_label_areas),
            },
        )
    return consent


def withdraw_consent(actor: Actor, consent: SignedConsent, *, reason: str = "", via: str, now=None):
    patient = consent.patient
    if not (is_the_patient(actor, patient) or actor.can(Capability.CHANGE_PATIENT)):
        raise Forbidden("Only the patient, or staff on their word, withdraws a consent.")
    reason = " ".join((reason or "").split())
    if len(reason) > 300 or CONTROL.search(reason):
        raise ValidationFailed({"reason": ["Keep the reason to 300 plain characters."]})
    try:
        with write_transaction():
            withdrawal = ConsentWithdrawal.objects.create(
                consent=consent,
                at=now or timezone.now(),
                reason=reason,
                via=via,
                actor_label=actor_label(actor),
            )
            audit.record_patient(
                actor,
                Action.CREATE,
                patient,
                object_type=audit.Kind.CONSENT_WITHDRAWAL,
                object_id=consent.public_id,
                detail={"kind": consent.document.kind},
            )
    except IntegrityError:
        raise Conflict("This consent is already withdrawn.") from None
    return withdrawal


def open_consent(actor: Actor, public_id) -> SignedConsent:
    found = (
        SignedConsent.objects.restrict(actor, "view")
        .select_related("document", "patient")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound("No such consent.")
    return found
