"""Consent: the documents a patient signs (`publish_consent` adds a version of a consent text in
one language; versions are counted per kind and language) and their signatures: `sign_consent`
records the patient's signature on the newest version in the language she read, as shown to
her, with the PDF in that language; `withdraw_consent` withdraws it; `current_consent` is the
signature that still holds. `document_for` is the text a patient is shown: the newest of the
kind in her language, else the English one. Each write is one transaction with its audit row.
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
from django.utils.translation import gettext as _

from glabella.catalogue.areas import area_name
from glabella.catalogue.products import MEDICATION_GUIDES
from glabella.clinic.clock import clinic_today, clinic_zone
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from glabella.core.language import CODES, DEFAULT, speaking
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


# The line under the title in the text hashed, per language (the hash is of the exact text the
# patient reads, so this line is in her language too).
VERSION_LINE = {"en": "Version {version}", "es": "Versión {version}"}


def version_line(version: int, language: str = DEFAULT) -> str:
    """ "Version 2" / "Versión 2": the line under a consent's title, in the text's language."""
    return VERSION_LINE.get(language, VERSION_LINE[DEFAULT]).format(version=version)


def text_of(title: str, version: int, body: str, language: str = DEFAULT) -> str:
    """The exact text a patient signs, as hashed: title, version line and body, all in the
    text's language."""
    return f"{title}\n{version_line(version, language)}\n\n{body}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_default_consents(
    now: datetime | None = None,
    *,
    texts: dict[str, tuple[str, str]] = DEFAULTS,
    language: str = DEFAULT,
    label: str = "glabella default text",
) -> None:
    """Publishes consent texts (the shipped English ones unless `texts` says otherwise) as
    version 1 of each kind that has none yet in `language`."""
    for kind, (title, body) in texts.items():
        if ConsentDocument.objects.filter(kind=kind, language=language).exists():
            continue
        # Another process may publish it meanwhile: then the unique version refuses this one.
        with contextlib.suppress(IntegrityError), transaction.atomic():
            ConsentDocument.objects.create(
                kind=kind,
                language=language,
                version=1,
                title=title,
                body=body,
                text_sha256=sha256(text_of(title, 1, body, language)),
                published_at=now or timezone.now(),
                actor_label=label,
            )


def newest_documents() -> dict[tuple[str, str], ConsentDocument]:
    """The newest version of each kind in each language it is published in."""
    latest: dict[tuple[str, str], ConsentDocument] = {}
    for doc in ConsentDocument.objects.order_by("kind", "language", "-version"):
        latest.setdefault((doc.kind, doc.language), doc)
    return latest


def current_documents(language: str = DEFAULT, *, newest=None) -> dict[str, ConsentDocument]:
    """Per kind, the text a reader of `language` is shown: the newest in her language, else
    the newest English one (else, for a kind published only in another language, that one)."""
    newest = newest_documents() if newest is None else newest
    out: dict[str, ConsentDocument] = {}
    for kind in ConsentKind.values:
        for code in (language, DEFAULT, *CODES):
            if (kind, code) in newest:
                out[kind] = newest[(kind, code)]
                break
    return out


def document_for(kind: str, language: str) -> ConsentDocument | None:
    """The consent text of this kind a reader of `language` is shown (see current_documents);
    whether it is in her language is `document.language == language`."""
    return current_documents(language).get(kind)


def is_newest(document: ConsentDocument, newest=None) -> bool:
    """Whether no later version of this kind has been published in this document's language."""
    newest = newest_documents() if newest is None else newest
    return newest.get((document.kind, document.language)) == document


def publish_consent(
    actor: Actor, kind: str, title: str, body: str, *, language: str = DEFAULT, now=None
) -> ConsentDocument:
    """A new version of the consent of this kind in `language` (numbered after the newest in
    that language)."""
    if not actor.can(Capability.MANAGE_CONSENT_FORMS):
        raise Forbidden("Only the medical director or the owner publishes consent documents.")
    errors: dict[str, list[str]] = {}
    if kind not in ConsentKind.values:
        errors["kind"] = ["Choose the treatment the consent is for."]
    if language not in CODES:
        errors["language"] = ["Choose the language the text is written in."]
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
            last = (
                ConsentDocument.objects.filter(kind=kind, language=language)
                .order_by("-version")
                .first()
            )
            version = (last.version if last else 0) + 1
            doc = ConsentDocument.objects.create(
                kind=kind,
                language=language,
                version=version,
                title=title,
                body=body,
                text_sha256=sha256(text_of(title, version, body, language)),
                published_at=now or timezone.now(),
                published_by=actor.saved_user,
                actor_label=actor_label(actor),
            )
            audit.record(
                actor,
                Action.CREATE,
                audit.Kind.CONSENT_DOCUMENT,
                doc.public_id,
                detail={"kind": kind, "language": language, "version": version},
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
    # The off-label paragraph in the document's language, the areas named in it too (the
    # catalogue keeps their names in both languages).
    heading, paragraph = OFF_LABEL
    with speaking(document.language):
        heading, paragraph = _(heading), _(paragraph)
        names = ", ".join(area_name(a, document.language).lower() for a in areas)
    body = document.body.rstrip("\n") + f"\n\n{heading}\n{paragraph.format(areas=names)}\n"
    shown = text_of(document.title, document.version, body, document.language)
    return ConsentText(body, tuple(areas), sha256(shown))


def medication_guides() -> list[tuple[str, str]]:
    """(product, version) of the Medication Guides of the products the clinic offers."""
    return [(p.value, MEDICATION_GUIDES[p].version) for p in offered_products()]


def current_consent(
    patient: Patient, kind: str, today: date, *, newest: dict | None = None
) -> SignedConsent | None:
    """The patient's signature on the newest version of this consent in the language she signed
    it in (English or Spanish, each counts), if it is not withdrawn and not older than
    CONSENT_VALID_MONTHS. `newest`: newest_documents(), if already read."""
    newest = newest_documents() if newest is None else newest
    documents = [doc for (k, _code), doc in newest.items() if k == kind]
    if not documents or patient.pk is None:
        return None
    signed = (
        SignedConsent.objects.filter(
            patient=patient, document__in=documents, withdrawal__isnull=True
        )
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
    """Per kind: the current (English) document, the current signature (or None)."""
    newest = newest_documents()
    docs = current_documents(newest=newest)
    return [
        {
            "kind": kind,
            "label": label,
            "document": docs.get(kind),
            "signed": current_consent(patient, kind, today, newest=newest),
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
            raise ValueError(_("The signature could not be read; please draw it again.")) from None
    if not isinstance(raw, list) or len(raw) > MAX_STROKES:
        raise ValueError(_("The signature could not be read; please draw it again."))
    strokes, total = [], 0
    for stroke in raw:
        if not isinstance(stroke, list):
            raise ValueError(_("The signature could not be read; please draw it again."))
        points = []
        for point in stroke:
            if (
                not isinstance(point, list)
                or len(point) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)
                or not all(math.isfinite(v) and 0 <= v <= 1000 for v in point)
            ):
                raise ValueError(_("The signature could not be read; please draw it again."))
            points.append([round(point[0]), round(point[1])])
        total += len(points)
        if points:
            strokes.append(points)
    if total > MAX_POINTS:
        raise ValueError(_("The signature has too many points; please draw it again, simply."))
    if strokes:
        xs = [p[0] for s in strokes for p in s]
        ys = [p[1] for s in strokes for p in s]
        if max(xs) - min(xs) < 30 and max(ys) - min(ys) < 30:
            raise ValueError(_("Please draw your signature across the box; a dot is not enough."))
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
    """The patient signs the newest version of a consent document in its language (never staff
    for them), as shown to them (`consent_text`: with the off-label paragraph when their
    decision has off-label lines); the signature keeps that language and the text's SHA-256,
    and its PDF is in that language. `medication_guide`: the product whose Medication Guide they
    were given, recorded with its version (the treatment consent's form asks for it). Messages
    are in the active language (the page's)."""
    if not is_the_patient(actor, patient):
        raise Forbidden("Only the patient signs their consent.")
    now = now or timezone.now()
    text = consent_text(document, patient, clinic_today(patient, now))
    if not is_newest(document) or shown_sha256 != text.text_sha256:
        raise Conflict(_("The clinic has published a newer version of this form: please read it."))
    errors: dict[str, list[str]] = {}
    guide_version = ""
    if medication_guide not in (None, ""):
        guides = dict(medication_guides())
        if document.kind != ConsentKind.NEUROMODULATOR:
            errors["medication_guide"] = [_("A Medication Guide goes with a treatment consent.")]
        elif not isinstance(medication_guide, str) or medication_guide not in guides:
            errors["medication_guide"] = [
                _(
                    "Choose the Medication Guide you were given, from the products the clinic "
                    "offers."
                )
            ]
        else:
            guide_version = guides[medication_guide]
    typed = " ".join((typed_name or "").split())
    if not typed:
        errors["typed_name"] = [_("Type your full name.")]
    elif len(typed) > 200 or CONTROL.search(typed):
        errors["typed_name"] = [_("Type your name in at most 200 plain characters.")]
    elif not _name_matches(typed, patient):
        errors["typed_name"] = [_("Type your full name as the clinic has it on your record.")]
    try:
        drawn = clean_strokes(strokes)
    except ValueError as exc:
        errors["signature"] = [str(exc)]
        drawn = []
    if adopt_typed and drawn:
        errors["signature"] = [
            _("Either draw your signature or sign with your typed name, not both.")
        ]
    elif not adopt_typed and not drawn and "signature" not in errors:
        errors["signature"] = [
            _("Draw your signature in the box, or choose to sign with your typed name.")
        ]
    if errors:
        raise ValidationFailed(errors)
    method = SignedConsent.Method.TYPED if adopt_typed else SignedConsent.Method.DRAWN
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
        language=document.language,
        actor_label=actor_label(actor),
        off_label_areas=list(text.off_label_areas),
        medication_guide=medication_guide if guide_version else "",
        medication_guide_version=guide_version,
    )
    with speaking(document.language):  # the PDF's words in the language signed
        consent.pdf = _consent_pdf(consent, document, patient, text, guide_version, now)
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
                "language": document.language,
                "version": document.version,
                "method": method,
                "medication_guide": guide_version,
                "off_label_areas": list(text.off_label_areas),
            },
        )
    return consent


def _consent_pdf(consent, document, patient, text, guide_version, now) -> bytes:
    from glabella.core import brand

    zone = clinic_zone(patient)
    typed, method, drawn, via = consent.typed_name, consent.method, consent.strokes, consent.via
    return pdf.render(
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
            ip=consent.ip or "",
            via=str(Via(via).label),
            text_sha256=text.text_sha256,
            consent_id=str(consent.public_id),
            medication_guide=guide_version,
        )
    )


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
