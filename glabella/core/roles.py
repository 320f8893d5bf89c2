"""Who may do what: the staff roles, their credentials and the capabilities each role holds.

A pure table, no database: `capabilities_of(role)` is all the access code needs to know about roles.
"""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner / administrator"
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    INJECTOR = "injector", "Injector"
    FRONT_DESK = "front_desk", "Front desk"


class Credential(models.TextChoices):
    MD = "MD", "MD (physician)"
    DO = "DO", "DO (osteopathic physician)"
    NP = "NP", "NP (nurse practitioner)"
    PA = "PA", "PA (physician assistant)"
    RN = "RN", "RN (registered nurse)"


# Credentials that may prescribe and so supervise an RN injector.
PRESCRIBING_CREDENTIALS = frozenset({Credential.MD, Credential.DO, Credential.NP, Credential.PA})
# Roles that treat patients and so must hold a current licence.
CLINICAL_ROLES = frozenset({Role.MEDICAL_DIRECTOR, Role.INJECTOR})


class Capability(StrEnum):
    VIEW_PATIENT = "patient.view"  # demographics, contact details, preferences
    CHANGE_PATIENT = "patient.change"
    VIEW_CLINICAL = "patient.view_clinical"  # allergies, conditions, medications, pregnancy
    CHANGE_CLINICAL = "patient.change_clinical"
    VIEW_CLINIC = "clinic.view"  # rooms, staff list, service set-up
    MANAGE_CLINIC = "clinic.manage"
    VIEW_AUDIT = "audit.view"
    SIGN_DECISION = "screening.sign_decision"  # a candidacy decision (also needs a prescriber)
    SET_SCREENING_POLICY = "screening.set_policy"  # switch clinic-policy rules
    MANAGE_CONSENT_FORMS = "screening.manage_consent_forms"  # publish consent document versions
    MANAGE_STOCK = "inventory.manage"  # receive stock, reconstitute, draw, waste, discard
    CHART = "treatments.chart"  # chart and sign treatments (a clinician's act)
    SET_PROTOCOL = "treatments.set_protocol"  # the clinic's house doses
    # staff management (issue 18): the medical director grants the owner clinical access
    GRANT_CLINICAL_ACCESS = "clinic.grant_clinical_access"
    # money (issue 20): the desk takes payments; refunds, prices and reports are the owner's
    TAKE_PAYMENT = "billing.take_payment"  # invoices, checkout, payments (card last four)
    REFUND = "billing.refund"
    SET_PRICES = "billing.set_prices"  # prices, tax, promotion codes, packages, memberships
    VIEW_REVENUE = "billing.view_revenue"  # the day's close and the money reports


_FRONT_DESK = {
    Capability.VIEW_PATIENT,
    Capability.CHANGE_PATIENT,
    Capability.VIEW_CLINIC,
}
_CLINICIAN = _FRONT_DESK | {
    Capability.VIEW_CLINICAL,
    Capability.CHANGE_CLINICAL,
    Capability.MANAGE_STOCK,
}

# Clinical judgements belong to clinicians, and clinic policy to the medical director.
_CLINICAL_ACTS = {
    Capability.SIGN_DECISION,
    Capability.SET_SCREENING_POLICY,
    Capability.CHART,
    Capability.SET_PROTOCOL,
}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: frozenset(Capability) - _CLINICAL_ACTS - {Capability.GRANT_CLINICAL_ACCESS},
    Role.MEDICAL_DIRECTOR: frozenset(
        _CLINICIAN
        | {
            Capability.VIEW_AUDIT,
            Capability.SIGN_DECISION,
            Capability.SET_SCREENING_POLICY,
            Capability.MANAGE_CONSENT_FORMS,
            Capability.CHART,
            Capability.SET_PROTOCOL,
            Capability.GRANT_CLINICAL_ACCESS,
        }
    ),
    Role.INJECTOR: frozenset(_CLINICIAN | {Capability.SIGN_DECISION, Capability.CHART}),
    Role.FRONT_DESK: frozenset(_FRONT_DESK | {Capability.TAKE_PAYMENT}),
}


# Minimum necessary: the owner runs the clinic but reads (and so changes) clinical data only
# while the medical director grants it (core.staff.set_clinical_access).
GRANTED_TO_OWNER = frozenset({Capability.VIEW_CLINICAL, Capability.CHANGE_CLINICAL})
# What a read-only API token may hold: the capabilities that only look.
READ_CAPABILITIES = frozenset(
    {
        Capability.VIEW_PATIENT,
        Capability.VIEW_CLINICAL,
        Capability.VIEW_CLINIC,
        Capability.VIEW_AUDIT,
    }
)


def capabilities_of(role: str | None, *, clinical_granted: bool = False) -> frozenset[Capability]:
    found = ROLE_CAPABILITIES.get(role or "", frozenset())
    if role == Role.OWNER and not clinical_granted:
        found = found - GRANTED_TO_OWNER
    return found
