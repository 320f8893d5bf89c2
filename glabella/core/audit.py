"""Writes the access log: every create, read, update and search of patient data.

Each row names what it is about with a `Kind`, never a free string, so one thing has one word in
the log (Medplum's typed audit events). The model field stays a CharField: old rows stay readable.
"""

from __future__ import annotations

from enum import StrEnum

from glabella.core.access import Actor
from glabella.core.models import AccessLog

Action = AccessLog.Action


class Kind(StrEnum):
    """What an access-log row is about: lowercase words joined by hyphens, singular."""

    # patients
    PATIENT = "patient"
    CLINICAL_HISTORY = "clinical-history"  # a patient's allergies, conditions and medications
    ALLERGY = "allergy"
    CONDITION = "condition"
    MEDICATION = "medication"
    # scheduling
    APPOINTMENT = "appointment"
    APPOINTMENT_LIST = "appointment-list"  # one patient's appointments, through the API
    WAITLIST = "waitlist"  # a patient's entry on the waitlist
    CALENDAR = "calendar"  # the staff calendar page
    CALENDAR_FEED = "calendar-feed"  # the iCalendar feed a clinician's calendar app subscribes to
    # screening
    FORMS = "forms"  # the forms hub a patient opens from a link or the tablet
    FORMS_LINK = "forms-link"  # the link sent to a patient to fill in their forms at home
    FORMS_TABLET = "forms-tablet"  # forms handed to the patient on the clinic's tablet
    INTAKE = "intake"  # the medical-history questionnaire
    SCREENING = "screening"  # the screening verdict computed from the intake
    SCREENING_POLICY = "screening-policy"  # a clinic-policy rule switched on or off
    SCREENING_REVIEW = "screening-review"  # whether a label rule needs a clinician's review
    CANDIDACY_DECISION = "candidacy-decision"
    CONSENT = "consent"  # a signed consent
    CONSENT_DOCUMENT = "consent-document"  # the consent text a patient signs
    CONSENT_WITHDRAWAL = "consent-withdrawal"
    # inventory
    STOCK_LOT = "stock-lot"
    STOCK_VIAL = "stock-vial"
    STOCK_DRAW = "stock-draw"  # units drawn from a vial for one patient
    # treatments
    TREATMENT = "treatment"  # a treatment record
    TREATMENT_CHECK = "treatment-check"  # may this patient be treated now, asked before a session
    TREATMENT_COSIGNATURE = "treatment-cosignature"
    TREATMENT_AMENDMENT = "treatment-amendment"
    TREATMENT_NOTE = "treatment-note"  # a treatment record printed as a note
    TREATMENT_HISTORY = "treatment-history"  # a patient's own list of treatments, in the portal
    TREATMENT_PROTOCOL = "treatment-protocol"  # the house dose limits for a product and area
    RECALL = "recall"  # which patients were treated from a lot
    RECALL_NOTICE = "recall-notice"  # the message sent to those patients
    # aftercare
    AFTERCARE = "aftercare"  # a patient's own aftercare page, in the portal
    AFTERCARE_TEXT = "aftercare-text"  # the instructions the clinic sends after a treatment
    AFTERCARE_REPORT = "aftercare-report"  # what a patient reports after a treatment
    AFTERCARE_ALERT = "aftercare-alert"  # a report that needs a clinician
    AFTERCARE_FOLLOW_UP = "aftercare-follow-up"
    AFTERCARE_PHOTO = "aftercare-photo"  # a photo a patient sends with a report
    FOLLOW_UP_BOARD = "follow-up-board"  # the staff board of patients to follow up
    ADVERSE_EVENT = "adverse-event"
    LOCATION_ON_CALL = "location-on-call"  # who a location's patients reach out of hours
    # outcomes
    WRINKLE_GRADES = "wrinkle-grades"  # one set of wrinkle-severity grades
    MOVEMENT_CHECK = "movement-check"  # did the muscle move again: the end of an effect
    DURATIONS = "durations"  # how long each treatment's effect lasted
    FORECAST = "forecast"  # when the effect is expected to wear off
    CLINICAL_PHOTO = "clinical-photo"  # a before/after photo taken by the clinic
    OUTCOME_TIMELINE = "outcome-timeline"
    DUE_LIST = "due-list"  # patients whose effect is wearing off
    PRACTICE_ANALYTICS = "practice-analytics"
    # messaging
    OUTBOX = "outbox"
    MESSAGE = "message"
    # portal
    PORTAL_HOME = "portal-home"
    PORTAL_PASSWORD = "portal-password"  # noqa: S105 (a word, not a secret): a password set or reset
    MY_DATA = "my-data"  # everything the clinic holds on a patient, exported to them
    SITE_TEXT = "site-text"  # an editable text on the public site
    CONTACT_MESSAGE = "contact-message"  # a message sent through the public contact form
    CONTACT_INBOX = "contact-inbox"
    # signing and the clinic's tablet (issue 18: re-authentication, the locked tablet)
    SIGNING_CHECK = "signing-check"  # a signer's PIN or password checked at signing
    SIGNING_PIN = "signing-pin"  # a staff member set their own signing PIN
    TABLET_RELEASE = "tablet-release"  # a staff member unlocked the tablet from a patient's forms


def as_kind(object_type) -> Kind:
    """The Kind for object_type; anything else is refused: no free string reaches the log."""
    if isinstance(object_type, Kind):
        return object_type
    raise TypeError(f"object_type must be an audit.Kind, not {object_type!r}")


def record(
    actor: Actor,
    action: str,
    object_type: Kind,
    object_id: object = "",
    *,
    patient_public_id=None,
    detail: dict | None = None,
) -> AccessLog:
    return AccessLog.objects.create(
        user=actor.saved_user,
        actor_label=actor.label[:200],
        actor_role=actor.role,
        channel=actor.channel,
        action=action,
        object_type=as_kind(object_type).value,
        object_id=str(object_id or ""),
        patient_public_id=patient_public_id,
        ip=actor.ip,
        detail=detail or {},
    )


def record_patient(
    actor: Actor,
    action: str,
    patient,
    *,
    object_type: Kind = Kind.PATIENT,
    object_id=None,
    detail: dict | None = None,
) -> AccessLog:
    """A row about one patient's data (the patient itself or one of their records)."""
    return record(
        actor,
        action,
        object_type,
        object_id if object_id is not None else patient.public_id,
        patient_public_id=patient.public_id,
        detail=detail,
    )


def record_listing(actor: Actor, object_type: Kind, patient_public_ids) -> AccessLog:
    """One row for a list that shows several patients' records (a board, a search, a report):
    which patients it showed."""
    kind = as_kind(object_type)  # before the ids are read: a bad kind fails without side effects
    shown = list(dict.fromkeys(str(p) for p in patient_public_ids))
    return record(actor, AccessLog.Action.READ, kind, detail={"patients": shown})
