"""Screening's sections of the patient record (patients' `record_sections`): the forms and
consents with their status and how they were given, for anyone who may see the patient; the
candidacy decisions, for those who may see clinical data. A fixed number of queries each."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from glabella.clinic.clock import clinic_today, clinic_zone
from glabella.core.access import Actor
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.patients.sections import Section
from glabella.screening import consents
from glabella.screening.decisions import add_months, decision_state
from glabella.screening.evaluation import evaluate_patient, signature_of
from glabella.screening.models import (
    CandidacyDecision,
    ConsentKind,
    IntakeResponse,
    SignedConsent,
)

SHOWN = 10

# How a form was given, in the desk's words.
HOW_GIVEN = {
    "portal": "in the patient portal",
    "link": "by the link sent to the patient",
    "tablet": "on the clinic tablet",
    "staff": "at the desk",
    "api": "through another system",
}

DECISION_STATES = {
    "current": "Current",
    "expired": "Expired",
    "invalidated": "No longer current: the answers or the record changed since signing",
    "superseded": "Replaced by a later decision",
}


def forms_section(actor: Actor, patient: Patient, now: datetime) -> Section | None:
    """Whether the health questions are answered and each consent signed, when and how (tablet,
    link, portal, desk), with the signed consents' history. The desk may see all of it: whether
    a form is done is theirs to chase; the answers themselves stay on the screening page."""
    if not actor.can(Capability.VIEW_PATIENT):
        return None
    today = clinic_today(patient, now)
    zone = clinic_zone(patient)
    latest = (
        IntakeResponse.objects.filter(patient=patient)
        .order_by("-submitted_at", "-id")
        .only("submitted_at", "via")
        .first()
    )
    newest = consents.newest_documents()
    documents = consents.current_documents(newest=newest)
    history = list(
        SignedConsent.objects.restrict(actor, "view")
        .filter(patient=patient)
        .select_related("document", "withdrawal")
        .defer("pdf", "strokes", "document__body")
        .order_by("-signed_at", "-id")[:SHOWN]
    )
    rows = []
    for signed in history:
        rows.append(
            {
                "consent": signed,
                "status": _consent_status(signed, newest, today, zone),
                "how": HOW_GIVEN.get(signed.via, ""),
            }
        )
    current: dict[str, dict] = {}
    for row in rows:  # the newest signature of the current version, still in force
        kind = row["consent"].document.kind
        if kind not in current and row["status"] == "In force":
            current[kind] = row
    overview = [
        {"label": label, "document": documents.get(kind), "signed": current.get(kind)}
        for kind, label in ConsentKind.choices
    ]
    return Section(
        key="forms",
        title="Forms and consent",
        order=20,
        template="screening/record_forms.html",
        context={
            "intake": latest,
            "intake_how": HOW_GIVEN.get(latest.via, "") if latest else "",
            "overview": overview,
            "history": rows,
        },
    )


def _consent_status(signed: SignedConsent, newest: dict, today, zone) -> str:
    if hasattr(signed, "withdrawal"):
        return "Withdrawn"
    if not consents.is_newest(signed.document, newest):
        return "A newer version needs signing"
    signed_on = signed.signed_at.astimezone(zone).date()
    if add_months(signed_on, settings.CONSENT_VALID_MONTHS) < today:
        return "Expired"
    return "In force"


def decisions_section(actor: Actor, patient: Patient, now: datetime) -> Section | None:
    """The candidacy decisions, newest first, each with its state and what it allows."""
    if not actor.can(Capability.VIEW_CLINICAL):
        return None
    today = clinic_today(patient, now)
    decisions = list(
        CandidacyDecision.objects.restrict(actor, "view")
        .filter(patient=patient)
        .select_related("signed_by")
        .prefetch_related("lines")
        .order_by("-signed_at", "-id")[:SHOWN]
    )
    rows = []
    if decisions:
        signature = signature_of(evaluate_patient(patient, today))
        newest = decisions[0].pk
        for decision in decisions:
            state = decision_state(decision, today=today, signature=signature, newest_id=newest)
            lines = list(decision.lines.all())
            rows.append(
                {
                    "decision": decision,
                    "state": DECISION_STATES.get(state.status, state.status),
                    "current": state.current,
                    "allowed": [line for line in lines if line.allowed],
                    "refused": [line for line in lines if not line.allowed],
                }
            )
    return Section(
        key="decisions",
        title="Candidacy decisions",
        order=30,
        template="screening/record_decisions.html",
        context={"rows": rows},
    )
