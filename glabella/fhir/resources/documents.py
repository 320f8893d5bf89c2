"""DocumentReference and Binary: the files the clinic keeps on a patient, by reference.

Three kinds of file, each from its own model and each seen by whom its pages show it to:
- a signed consent's PDF (screening): staff who see the patient (the front desk too) and the
  patient herself, as on her record page and her forms;
- a clinical photo (outcomes): clinicians, and the patient herself, as in her portal's photos;
- the photo a patient sent with an aftercare report: clinicians only (no page shows it back to
  her).
A DocumentReference describes one (type, category, date, author, the treatment it belongs to) and
points at its Binary (`Binary/<the same id>`), which answers the file itself (a PDF, a JPEG) or,
when the client asks for FHIR JSON, the Binary resource with the bytes in base64. Both are read
through the same door and logged as the pages log them.
"""

from __future__ import annotations

import base64

from glabella.aftercare.models import ReportPhoto
from glabella.core.audit import Kind
from glabella.fhir import codes
from glabella.fhir.registry import ResourceType, SearchParam, register
from glabella.fhir.resources.records import consent_file_name, sha1_base64
from glabella.fhir.server import instant
from glabella.outcomes.models import Photo, View
from glabella.screening.models import SignedConsent

PROFILE = f"{codes.US_CORE}/us-core-documentreference"
CONSENT_TYPE = {"system": codes.LOINC, "code": "59284-0", "display": "Consent Document"}
PHOTO_TYPE = {"system": codes.LOINC, "code": "72170-4", "display": "Photographic image"}


def _category_system() -> str:
    return codes.local_system("document-category")


CATEGORIES = {
    SignedConsent: ("consent", "Signed consent"),
    Photo: ("clinical-photo", "Clinical photo"),
    ReportPhoto: ("patient-photo", "Photo sent by the patient"),
}
TYPES = {SignedConsent: CONSENT_TYPE, Photo: PHOTO_TYPE, ReportPhoto: PHOTO_TYPE}


def _category(model) -> list[dict]:
    code, display = CATEGORIES[model]
    return [{"coding": [{"system": _category_system(), "code": code, "display": display}]}]


def _attachment(public_id, content_type: str, data: bytes, title: str, created) -> dict:
    return {
        "contentType": content_type,
        "url": f"{codes.base_url()}/Binary/{public_id}",
        "size": len(data),
        "hash": sha1_base64(data),
        "title": title,
        "creation": instant(created),
    }


def _reference(public_id, model, patient, date, author, description, attachment, context):
    resource = {
        "resourceType": "DocumentReference",
        "id": str(public_id),
        "status": "current",
        "docStatus": "final",
        "type": {"coding": [TYPES[model]]},
        "category": _category(model),
        "subject": codes.reference("Patient", patient.public_id),
        "date": instant(date),
        "author": [author],
        "description": description,
        "content": [{"attachment": attachment}],
    }
    if context:
        resource["context"] = context
    return resource


# -- the rows each kind of file comes from ---------------------------------------------------


def consent_files(actor):
    return (
        SignedConsent.objects.restrict(actor, "view")
        .select_related("patient", "document")
        .defer("strokes")
    )


def clinical_photos(actor):
    return (
        Photo.objects.restrict(actor, "view")
        .select_related("patient", "treatment", "taken_by")
        .defer("thumbnail")
    )


def report_photos(actor):
    # Her own report photos are not shown back to her on any page; the API keeps to that.
    if actor.is_patient:
        return ReportPhoto.objects.none()
    return ReportPhoto.objects.restrict(actor, "view").select_related(
        "patient", "report__treatment"
    )


# -- DocumentReference -----------------------------------------------------------------------


def consent_reference(consent: SignedConsent) -> dict:
    document = consent.document
    title = f"{document.title}, version {document.version}, signed"
    return _reference(
        consent.public_id,
        SignedConsent,
        consent.patient,
        consent.signed_at,
        codes.reference("Patient", consent.patient.public_id),
        title,
        {
            **_attachment(
                consent.public_id, "application/pdf", bytes(consent.pdf), title, consent.signed_at
            ),
            "language": consent.language,
        },
        {"related": [codes.reference("Consent", consent.public_id)]},
    )


def _day_words(day: int) -> str:
    if day <= 0:
        return "before the treatment"
    return f"day {day} after the treatment"


def photo_reference(photo: Photo) -> dict:
    title = f"{View(photo.view).label}, {_day_words(photo.day)}"
    return _reference(
        photo.public_id,
        Photo,
        photo.patient,
        photo.created_at,
        codes.reference("Practitioner", photo.taken_by.public_id),
        title,
        _attachment(photo.public_id, "image/jpeg", bytes(photo.data), title, photo.taken_on),
        {
            "period": {"start": photo.taken_on.isoformat(), "end": photo.taken_on.isoformat()},
            "related": [codes.reference("Procedure", photo.treatment.public_id)],
        },
    )


def report_photo_reference(photo: ReportPhoto) -> dict:
    report = photo.report
    title = "Photo sent with an aftercare report"
    context = {"period": {"start": instant(report.submitted_at)}}
    if report.treatment_id:
        context["related"] = [codes.reference("Procedure", report.treatment.public_id)]
    return _reference(
        photo.public_id,
        ReportPhoto,
        photo.patient,
        report.submitted_at,
        codes.reference("Patient", photo.patient.public_id),
        title,
        _attachment(
            photo.public_id, photo.content_type, bytes(photo.data), title, report.submitted_at
        ),
        context,
    )


def _tokens(value: str) -> list[tuple[str | None, str]]:
    found = []
    for token in value.split(","):
        system, _, code = token.strip().rpartition("|")
        if not code:
            raise ValueError("Give a code, or system|code; several separated by commas.")
        found.append((system or None, code))
    return found


def _matches(tokens, system: str, code: str) -> bool:
    return any(c == code and s in (None, system) for s, c in tokens)


def _by_type(rows, value: str):
    coding = TYPES[rows.model]
    return rows if _matches(_tokens(value), coding["system"], coding["code"]) else rows.none()


def _by_category(rows, value: str):
    code, _ = CATEGORIES[rows.model]
    return rows if _matches(_tokens(value), _category_system(), code) else rows.none()


SEARCHES = {
    "type": SearchParam(
        "token",
        "LOINC 59284-0 (a signed consent) or 72170-4 (a photo).",
        _by_type,
    ),
    "category": SearchParam(
        "token", "consent, clinical-photo or patient-photo (the clinic's codes).", _by_category
    ),
}

register(
    ResourceType(
        name="DocumentReference",
        build=consent_reference,
        audit_kind=Kind.FHIR,
        patient="patient",
        date="date",
        updated="date",
        profile=PROFILE,
        searches=SEARCHES,
        parts=(
            ResourceType(
                name="DocumentReference",
                build=consent_reference,
                rows=consent_files,
                audit_kind=Kind.CONSENT,
                patient="patient",
                date="signed_at",
                updated="signed_at",
                profile=PROFILE,
            ),
            ResourceType(
                name="DocumentReference",
                build=photo_reference,
                rows=clinical_photos,
                audit_kind=Kind.CLINICAL_PHOTO,
                patient="patient",
                date="created_at",
                updated="created_at",
                profile=PROFILE,
            ),
            ResourceType(
                name="DocumentReference",
                build=report_photo_reference,
                rows=report_photos,
                audit_kind=Kind.AFTERCARE_PHOTO,
                patient="patient",
                date="report__submitted_at",
                updated="report__submitted_at",
                profile=PROFILE,
            ),
        ),
        documentation="Signed consents' PDFs, clinical photos (clinicians and the patient) "
        "and photos sent with aftercare reports (clinicians); each file at Binary/<id>.",
    )
)


# -- Binary ----------------------------------------------------------------------------------


def _binary(public_id, content_type: str, data: bytes, context: dict) -> dict:
    return {
        "resourceType": "Binary",
        "id": str(public_id),
        "contentType": content_type,
        "securityContext": context,
        "data": base64.b64encode(data).decode(),
    }


def consent_binary(consent: SignedConsent) -> dict:
    context = codes.reference("Consent", consent.public_id)
    return _binary(consent.public_id, "application/pdf", bytes(consent.pdf), context)


def photo_binary(photo: Photo) -> dict:
    context = codes.reference("DocumentReference", photo.public_id)
    return _binary(photo.public_id, "image/jpeg", bytes(photo.data), context)


def report_photo_binary(photo: ReportPhoto) -> dict:
    context = codes.reference("DocumentReference", photo.public_id)
    return _binary(photo.public_id, photo.content_type, bytes(photo.data), context)


def _consent_file(consent: SignedConsent):
    return "application/pdf", bytes(consent.pdf), consent_file_name(consent)


def _photo_file(photo: Photo):
    return "image/jpeg", bytes(photo.data), f"photo-{photo.view}-{photo.taken_on}.jpg"


def _report_photo_file(photo: ReportPhoto):
    day = photo.report.submitted_at.date().isoformat()
    return photo.content_type, bytes(photo.data), f"report-photo-{day}.jpg"


register(
    ResourceType(
        name="Binary",
        build=consent_binary,
        audit_kind=Kind.FHIR,
        searchable=False,
        exported=False,
        parts=(
            ResourceType(
                name="Binary",
                build=consent_binary,
                rows=consent_files,
                audit_kind=Kind.CONSENT,
                patient="patient",
                native=_consent_file,
            ),
            ResourceType(
                name="Binary",
                build=photo_binary,
                rows=clinical_photos,
                audit_kind=Kind.CLINICAL_PHOTO,
                patient="patient",
                native=_photo_file,
            ),
            ResourceType(
                name="Binary",
                build=report_photo_binary,
                rows=report_photos,
                audit_kind=Kind.AFTERCARE_PHOTO,
                patient="patient",
                native=_report_photo_file,
            ),
        ),
        # Set on the type too: the view asks the type whether its resources are files.
        native=_consent_file,
        documentation="A file a DocumentReference or a Consent points at: the file itself "
        "(PDF, JPEG) unless Accept or _format asks for FHIR JSON.",
    )
)
