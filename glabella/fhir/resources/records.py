"""The intake and the consents: Questionnaire (each version of the intake questionnaire, with its
questions as they were asked), QuestionnaireResponse (a patient's answers, each typed as its
question asks) and Consent (a signed consent, with its PDF as an attachment served by Binary).

Answers keep their shape: a yes/no question that may be answered "not sure" is a choice of HL7's
expanded yes/no indicator (Y, N, ASKU); the lists are strings; a reported toxin treatment is a
group with its product, date, purpose (a coding) and units (a decimal); an area of concern a
group with its area (a coding) and two booleans.
"""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

from django.db.models import DateTimeField
from django.db.models.functions import Coalesce

from glabella.core.audit import Kind
from glabella.fhir import codes
from glabella.fhir.registry import ResourceType, SearchParam, register
from glabella.fhir.server import date_search, instant
from glabella.screening.models import ConsentKind, IntakeResponse, Questionnaire, SignedConsent

YES_NO = "http://terminology.hl7.org/CodeSystem/v2-0532"  # expanded yes/no indicator
ANSWERS = {
    True: {"system": YES_NO, "code": "Y", "display": "Yes"},
    False: {"system": YES_NO, "code": "N", "display": "No"},
    None: {"system": YES_NO, "code": "ASKU", "display": "Not sure"},
}
LIST_TEXT = {
    "allergies": "Allergies",
    "medications": "Medications",
    "conditions": "Conditions",
}
PURPOSE_NAMES = {"cosmetic": "Cosmetic", "medical": "Medical", "unsure": "Not sure"}
QUESTIONNAIRE_ID = "intake-"


def questionnaire_url() -> str:
    """The intake questionnaire's canonical URL; each version is `url|version`."""
    return f"{codes.base_url()}/Questionnaire/intake"


def _concern_system() -> str:
    return codes.local_system("concern-area")


def _purpose_system() -> str:
    return codes.local_system("toxin-purpose")


# -- Questionnaire ---------------------------------------------------------------------------


def _questionnaire_id(value: str) -> int:
    number = value.removeprefix(QUESTIONNAIRE_ID)
    if not value.startswith(QUESTIONNAIRE_ID) or not number.isascii() or not number.isdigit():
        raise ValueError("takes a questionnaire id such as intake-1")
    if not 0 < int(number) < 2**31:
        raise ValueError("takes a questionnaire id such as intake-1")
    return int(number)


def build_questionnaire(form: Questionnaire) -> dict:
    definition = form.definition
    concerns = definition.get("concern_areas", {})
    purposes = definition.get("toxin_purposes", [])
    items = [
        {
            "linkId": q["key"],
            "text": q["text"],
            "type": "choice",
            "required": True,
            "answerOption": [{"valueCoding": ANSWERS[v]} for v in (True, False, None)],
            **(
                {"item": [{"linkId": f"{q['key']}.hint", "text": q["hint"], "type": "display"}]}
                if q.get("hint")
                else {}
            ),
        }
        for q in definition["questions"]
    ]
    for name in definition.get("lists", []):
        items.append(
            {"linkId": name, "text": LIST_TEXT.get(name, name), "type": "string", "repeats": True}
        )
    items.append(
        {
            "linkId": "recent_toxin",
            "text": "Botulinum toxin treatments in the last 4 months",
            "type": "group",
            "repeats": True,
            "item": [
                {"linkId": "recent_toxin.product", "text": "Product", "type": "string"},
                {"linkId": "recent_toxin.date", "text": "Date", "type": "date"},
                {
                    "linkId": "recent_toxin.purpose",
                    "text": "Purpose",
                    "type": "choice",
                    "answerOption": [
                        {"valueCoding": _purpose(p)} for p in purposes if p in PURPOSE_NAMES
                    ],
                },
                {"linkId": "recent_toxin.units", "text": "Units, if known", "type": "decimal"},
            ],
        }
    )
    items.append(
        {
            "linkId": "concerns",
            "text": "Where are the lines you would like treated?",
            "type": "group",
            "repeats": True,
            "item": [
                {
                    "linkId": "concerns.area",
                    "text": "Area",
                    "type": "choice",
                    "answerOption": [
                        {
                            "valueCoding": {
                                "system": _concern_system(),
                                "code": key,
                                "display": name,
                            }
                        }
                        for key, name in concerns.items()
                    ],
                },
                {"linkId": "concerns.at_rest", "text": "Shows at rest", "type": "boolean"},
                {
                    "linkId": "concerns.with_expression",
                    "text": "Shows with expression",
                    "type": "boolean",
                },
            ],
        }
    )
    items.append({"linkId": "notes", "text": "Anything else", "type": "text"})
    return {
        "resourceType": "Questionnaire",
        "id": f"{QUESTIONNAIRE_ID}{form.version}",
        "url": questionnaire_url(),
        "version": str(form.version),
        "name": "IntakeQuestionnaire",
        "title": "Medical history before a botulinum toxin treatment",
        "status": "active",
        "subjectType": ["Patient"],
        "date": instant(form.published_at),
        "item": items,
    }


def _purpose(key: str) -> dict:
    return {"system": _purpose_system(), "code": key, "display": PURPOSE_NAMES[key]}


register(
    ResourceType(
        name="Questionnaire",
        build=build_questionnaire,
        # The clinic's own form, the same for everyone: any signed-in actor reads it.
        rows=lambda actor: Questionnaire.objects.all(),
        audit_kind=Kind.FHIR,
        id_lookup="version",
        id_parse=_questionnaire_id,
        updated="published_at",
        documentation="Each version of the intake questionnaire, as its questions were asked; "
        "ids intake-<version>.",
    )
)


# -- QuestionnaireResponse -------------------------------------------------------------------


def build_response(response: IntakeResponse) -> dict:
    answers = response.answers
    definition = response.questionnaire.definition
    concerns = definition.get("concern_areas", {})
    items = []
    for q in definition["questions"]:
        given = answers.get("answers", {}).get(q["key"])
        items.append(
            {"linkId": q["key"], "text": q["text"], "answer": [{"valueCoding": ANSWERS[given]}]}
        )
    for name in definition.get("lists", []):
        entries = answers.get(name, [])
        if entries:  # nothing listed: no item, as an unanswered optional question
            item = {"linkId": name, "text": LIST_TEXT.get(name, name)}
            items.append({**item, "answer": [{"valueString": e} for e in entries]})
    for toxin in answers.get("recent_toxin", []):
        parts = [
            {
                "linkId": "recent_toxin.product",
                "text": "Product",
                "answer": [{"valueString": toxin["product"]}],
            },
            {
                "linkId": "recent_toxin.date",
                "text": "Date",
                "answer": [{"valueDate": toxin["date"]}],
            },
        ]
        if toxin.get("purpose") in PURPOSE_NAMES:
            parts.append(
                {
                    "linkId": "recent_toxin.purpose",
                    "text": "Purpose",
                    "answer": [{"valueCoding": _purpose(toxin["purpose"])}],
                }
            )
        if toxin.get("units"):
            parts.append(
                {
                    "linkId": "recent_toxin.units",
                    "text": "Units, if known",
                    "answer": [{"valueDecimal": _number(toxin["units"])}],
                }
            )
        items.append({"linkId": "recent_toxin", "item": parts})
    for concern in answers.get("concerns", []):
        area = concern["area"]
        items.append(
            {
                "linkId": "concerns",
                "item": [
                    {
                        "linkId": "concerns.area",
                        "text": "Area",
                        "answer": [
                            {
                                "valueCoding": {
                                    "system": _concern_system(),
                                    "code": area,
                                    "display": concerns.get(area, area),
                                }
                            }
                        ],
                    },
                    {
                        "linkId": "concerns.at_rest",
                        "text": "Shows at rest",
                        "answer": [{"valueBoolean": bool(concern["at_rest"])}],
                    },
                    {
                        "linkId": "concerns.with_expression",
                        "text": "Shows with expression",
                        "answer": [{"valueBoolean": bool(concern["with_expression"])}],
                    },
                ],
            }
        )
    if answers.get("notes"):
        items.append(
            {
                "linkId": "notes",
                "text": "Anything else",
                "answer": [{"valueString": answers["notes"]}],
            }
        )
    patient = codes.reference("Patient", response.patient.public_id)
    staff = getattr(response.entered_by, "staff", None) if response.entered_by_id else None
    author = codes.reference("Practitioner", staff.public_id) if staff else patient
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.public_id),
        "identifier": {
            "system": codes.identifier_system("intake"),
            "value": str(response.public_id),
        },
        "questionnaire": f"{questionnaire_url()}|{response.questionnaire.version}",
        "status": "completed",
        "subject": patient,
        "authored": instant(response.submitted_at),
        "author": author,
        "source": patient,
        "item": items,
    }


def _number(text: str):
    """Units as a JSON number: 20 or 12.5, never a float's rounding of the text."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


register(
    ResourceType(
        name="QuestionnaireResponse",
        build=build_response,
        rows=lambda actor: IntakeResponse.objects.restrict(actor, "view").select_related(
            "patient", "questionnaire", "entered_by__staff"
        ),
        audit_kind=Kind.INTAKE,
        patient="patient",
        date="submitted_at",
        updated="submitted_at",
        searches={
            "authored": date_search(
                "submitted_at", "authored", "When she answered; eq, ge, gt, le, lt."
            )
        },
        documentation="A patient's answers to the intake questionnaire (clinicians and the "
        "patient herself).",
    )
)


# -- Consent ---------------------------------------------------------------------------------

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_CATEGORY = {"system": codes.LOINC, "code": "59284-0", "display": "Consent Document"}
# A treatment's consent is about the treatment; the photo consent about images of her taken and
# kept (the collection and use of information).
SCOPES = {
    ConsentKind.NEUROMODULATOR: ("treatment", "Treatment"),
    ConsentKind.FILLER: ("treatment", "Treatment"),
    ConsentKind.PHOTO: ("patient-privacy", "Privacy Consent"),
}


def sha1_base64(data: bytes) -> str:
    """An attachment's hash as FHIR has it: the SHA-1 of the bytes, in base64."""
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()


def consent_file_name(consent: SignedConsent) -> str:
    return f"consent-{consent.document.kind}-{consent.signed_at.date().isoformat()}.pdf"


def consent_attachment(consent: SignedConsent) -> dict:
    """The signed PDF, by reference: its Binary's url, size and SHA-1."""
    data = bytes(consent.pdf)
    document = consent.document
    return {
        "contentType": "application/pdf",
        "language": consent.language,
        "url": f"{codes.base_url()}/Binary/{consent.public_id}",
        "size": len(data),
        "hash": sha1_base64(data),
        "title": f"{document.title}, version {document.version}, signed",
        "creation": instant(consent.signed_at),
    }


def document_policy(consent: SignedConsent) -> str:
    """The version of the consent text she signed, as the clinic names it."""
    document = consent.document
    return codes.identifier_system(
        f"consent-document/{document.kind}/{document.language}/{document.version}"
    )


def _withdrawal(consent: SignedConsent):
    try:
        return consent.withdrawal
    except SignedConsent.withdrawal.RelatedObjectDoesNotExist:
        return None


def build_consent(consent: SignedConsent) -> dict:
    withdrawal = _withdrawal(consent)
    scope, scope_name = SCOPES.get(consent.document.kind, SCOPES[ConsentKind.NEUROMODULATOR])
    patient = codes.reference("Patient", consent.patient.public_id)
    period = {"start": instant(consent.signed_at)}
    if withdrawal is not None:
        period["end"] = instant(withdrawal.at)
    return {
        "resourceType": "Consent",
        "id": str(consent.public_id),
        "identifier": [
            {"system": codes.identifier_system("consent"), "value": str(consent.public_id)}
        ],
        "status": "inactive" if withdrawal is not None else "active",
        "scope": {
            "coding": [{"system": CONSENT_SCOPE, "code": scope, "display": scope_name}],
        },
        "category": [{"coding": [CONSENT_CATEGORY], "text": consent.document.title}],
        "patient": patient,
        "dateTime": instant(consent.signed_at),
        "performer": [patient],
        "sourceAttachment": consent_attachment(consent),
        "policy": [{"uri": document_policy(consent)}],
        "provision": {"type": "permit", "period": period},
    }


def _by_status(rows, value: str):
    wanted = {v.strip() for v in value.split(",")}
    if not wanted <= {"active", "inactive"}:
        raise ValueError("status takes active or inactive (withdrawn), or both.")
    if wanted == {"active"}:
        return rows.filter(withdrawal__isnull=True)
    if wanted == {"inactive"}:
        return rows.filter(withdrawal__isnull=False)
    return rows


def consent_rows(actor):
    """The consents this actor may see (the front desk too, as on the patient's page), with
    when each last changed: signed, or withdrawn."""
    return (
        SignedConsent.objects.restrict(actor, "view")
        .select_related("patient", "document", "withdrawal")
        .defer("strokes")
        .annotate(changed_at=Coalesce("withdrawal__at", "signed_at", output_field=DateTimeField()))
    )


register(
    ResourceType(
        name="Consent",
        build=build_consent,
        rows=consent_rows,
        audit_kind=Kind.CONSENT,
        patient="patient",
        date="signed_at",
        updated="changed_at",
        searches={"status": SearchParam("token", "active, or inactive (withdrawn).", _by_status)},
        documentation="A signed consent (treatment, filler, photographs) with the signed PDF "
        "as sourceAttachment, fetched from its url (Binary); inactive once withdrawn.",
    )
)
