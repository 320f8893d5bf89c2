"""Who has looked at a patient's record: the access-log rows about one patient (their own rows and
the lists that showed them), for the staff log page and, in plain words, for the patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from glabella.core import audit
from glabella.core.access import Actor, sole_organisation_id
from glabella.core.models import AccessLog
from glabella.core.roles import Role
from glabella.patients.models import Patient

STAFF_ROLES = frozenset(Role.values)

# What a row is about, as a patient would say it ("your ..."); other kinds read as their words.
PLAIN = {
    audit.Kind.PATIENT: gettext_lazy("your details"),
    audit.Kind.CLINICAL_HISTORY: gettext_lazy("your allergies, conditions and medications"),
    audit.Kind.ALLERGY: gettext_lazy("an allergy on your record"),
    audit.Kind.CONDITION: gettext_lazy("a condition on your record"),
    audit.Kind.MEDICATION: gettext_lazy("a medication on your record"),
    audit.Kind.APPOINTMENT: gettext_lazy("an appointment of yours"),
    audit.Kind.APPOINTMENT_LIST: gettext_lazy("a list of the day's visits that included you"),
    audit.Kind.CALENDAR: gettext_lazy("the clinic's calendar, which showed your visit"),
    audit.Kind.INTAKE: gettext_lazy("your medical-history answers"),
    audit.Kind.SCREENING: gettext_lazy("your screening result"),
    audit.Kind.CANDIDACY_DECISION: gettext_lazy("the decision on whether a treatment suits you"),
    audit.Kind.CONSENT: gettext_lazy("a consent you signed"),
    audit.Kind.TREATMENT: gettext_lazy("a treatment record of yours"),
    audit.Kind.TREATMENT_NOTE: gettext_lazy("a printed note of one of your treatments"),
    audit.Kind.RECALL: gettext_lazy("a list of patients treated from one batch of product"),
    audit.Kind.AFTERCARE_REPORT: gettext_lazy("a report you sent after a treatment"),
    audit.Kind.AFTERCARE_ALERT: gettext_lazy("a report of yours that needed a clinician"),
    audit.Kind.FOLLOW_UP_BOARD: gettext_lazy("the list of patients to follow up"),
    audit.Kind.ADVERSE_EVENT: gettext_lazy("a record of a reaction to a treatment"),
    audit.Kind.CLINICAL_PHOTO: gettext_lazy("your clinical photos"),
    audit.Kind.OUTBOX: gettext_lazy("the list of messages sent to patients"),
    audit.Kind.DUE_LIST: gettext_lazy("the list of patients due for a visit"),
    audit.Kind.CHANGE_HISTORY: gettext_lazy("the history of changes to your record"),
    audit.Kind.ACCESS_LOG: gettext_lazy("the clinic's record of who looked at patient files"),
}
VERBS = {
    AccessLog.Action.READ: gettext_lazy("looked at"),
    AccessLog.Action.SEARCH: gettext_lazy("found you in a search of"),
    AccessLog.Action.EXPORT: gettext_lazy("printed or exported"),
    AccessLog.Action.CREATE: gettext_lazy("added"),
    AccessLog.Action.UPDATE: gettext_lazy("changed"),
    AccessLog.Action.DELETE: gettext_lazy("removed"),
}


def of_clinic(actor: Actor) -> QuerySet[AccessLog]:
    """The access log as the actor's clinic sees it: what its staff and patients did, and what
    anyone did to its patients (decision 0047); in a one-clinic deployment, all of it."""
    clinic = actor.organisation_id
    if clinic is not None and clinic == sole_organisation_id():
        return AccessLog.objects.all()  # one clinic: the whole log, anonymous tries too
    return AccessLog.objects.filter(
        Q(user__staff__organisation_id=clinic)
        | Q(user__patient_record__organisation_id=clinic)
        | Q(
            patient_public_id__in=Patient.objects.filter(organisation_id=clinic).values("public_id")
        )
    )


def rows_about(public_id) -> QuerySet[AccessLog]:
    """Every row naming this patient: about them, or a list (search, board, export) showing them."""
    pid = str(public_id)
    return AccessLog.objects.filter(
        Q(patient_public_id=public_id)
        | Q(detail__patients__icontains=pid)
        | Q(detail__results__icontains=pid)
    ).order_by("-at", "-id")


def log_page_shown(actor: Actor, rows) -> None:
    """The access log shown is itself a read of which patients were looked at: logged."""
    shown = []
    for row in rows:
        if row.patient_public_id:
            shown.append(row.patient_public_id)
        listed = row.detail.get("patients") if isinstance(row.detail, dict) else None
        shown.extend(listed if isinstance(listed, list) else [])
    audit.record_listing(actor, audit.Kind.ACCESS_LOG, shown)


@dataclass(frozen=True)
class Look:
    """One line of the patient's page: who, in which role, did what to which part, when."""

    at: datetime
    who: str
    role: str
    did: str


def _name(row: AccessLog) -> str:
    staff = getattr(row.user, "staff", None) if row.user_id else None
    return staff.full_name if staff is not None else row.actor_label.split(" <", 1)[0]


def looks_at(patient: Patient) -> QuerySet[AccessLog]:
    """The rows a patient sees: what clinic staff did with their record (not their own acts,
    nor the system's, nor refusals)."""
    return (
        rows_about(patient.public_id)
        .filter(actor_role__in=STAFF_ROLES)
        .exclude(action=AccessLog.Action.REFUSED)
        .select_related("user__staff")
    )


def in_words(row: AccessLog) -> Look:
    kind = next((k for k in audit.Kind if k.value == row.object_type), None)
    what = PLAIN.get(kind) or row.object_words
    verb = str(VERBS.get(row.action, VERBS[AccessLog.Action.READ]))
    # What was done, then to what: the same order in English and Spanish ("Looked at your
    # details", "Consultó sus datos").
    did = _("%(verb)s %(what)s") % {"verb": verb, "what": what}
    return Look(row.at, _name(row), Role(row.actor_role).label, did[:1].upper() + did[1:])


def who_looked(actor: Actor, patient: Patient, rows) -> list[Look]:
    """The page's lines, in words; the patient's own look at them is logged."""
    audit.record_patient(actor, audit.Action.READ, patient, object_type=audit.Kind.WHO_LOOKED)
    return [in_words(r) for r in rows]
