"""Writes the access log: every create, read, update and search of patient data.

Each row names what it is about with a `Kind`, never a free string, so one thing has one word in
the log (Medplum's typed audit events). The model field stays a CharField: old rows stay readable.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from django.db import DatabaseError, transaction

from glabella.core.access import Actor
from glabella.core.models import AccessLog

Action = AccessLog.Action
logger = logging.getLogger(__name__)


class Kind(StrEnum):
    """What an access-log row is about: lowercase words joined by hyphens, singular."""

    # patients
    PATIENT = "patient"
    CLINICAL_HISTORY = "clinical-history"  # a patient's allergies, conditions and medications
    ALLERGY = "allergy"
    CONDITION = "condition"
    MEDICATION = "medication"
    STAFF_NOTE = "staff-note"  # a staff member's free-text note on a patient
    # billing
    INVOICE = "invoice"
    PAYMENT = "payment"
    REFUND = "refund"
    PRICES = "prices"  # a product's price, a location's sales tax or a promotion code set
    DAY_CLOSE = "day-close"  # a location's day closed: counted against the takings
    MONEY_REPORT = "money-report"  # revenue by product, provider or month
    RECONCILIATION = "reconciliation"  # units billed, charted and drawn, and the differences
    PACKAGE = "package"  # a prepaid package: sold, paid, redeemed, adjusted, expired
    MEMBERSHIP = "membership"  # a membership: enrolled, renewed, credit spent, paused, cancelled
    SAVED_CARD = "saved-card"  # a card kept by the card provider for later charges
    ONLINE_CHECKOUT = "online-checkout"  # a deposit or a card saved through the provider's page
    FEE = "fee"  # a no-show or late-cancel fee charged to a saved card
    CANCELLATION_POLICY = "cancellation-policy"  # the policy's text, fees, deposit, card on file
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
    # interoperability
    FHIR = "fhir"  # a FHIR resource of the clinic's set-up, or a search, read through /fhir/R4/
    FHIR_EXPORT = "fhir-export"  # a FHIR Bulk export: asked, finished, a file downloaded, canceled
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
    CLINIC_SET_UP = "clinic-set-up"  # the clinic's identity, a location, room or service changed
    WORKING_HOURS = "working-hours"  # a provider's weekly hours, breaks or time off changed
    # outcomes
    WRINKLE_GRADES = "wrinkle-grades"  # one set of wrinkle-severity grades
    MOVEMENT_CHECK = "movement-check"  # did the muscle move again: the end of an effect
    DURATIONS = "durations"  # how long each treatment's effect lasted
    FORECAST = "forecast"  # when the effect is expected to wear off
    CLINICAL_PHOTO = "clinical-photo"  # a before/after photo taken by the clinic
    OUTCOME_TIMELINE = "outcome-timeline"
    DUE_LIST = "due-list"  # patients whose effect is wearing off
    INVITATION = "invitation"  # the invitation back, sent by staff from the due list
    PRACTICE_ANALYTICS = "practice-analytics"
    # messaging
    OUTBOX = "outbox"
    MESSAGE = "message"
    INBOUND_TEXT = "inbound-text"  # a text a patient sent the clinic's number
    TEXT_CALLBACK = "text-callback"  # a request to Twilio's callbacks (logged when refused)
    # portal
    PORTAL_HOME = "portal-home"
    PORTAL_PASSWORD = "portal-password"  # noqa: S105 (a word, not a secret): a password set or reset
    MY_DATA = "my-data"  # everything the clinic holds on a patient, exported to them
    SITE_TEXT = "site-text"  # an editable text on the public site
    CONTACT_MESSAGE = "contact-message"  # a message sent through the public contact form
    CONTACT_INBOX = "contact-inbox"
    CONTACT_REPLY = "contact-reply"  # an answer to a website message, by email or text
    # the log itself
    ACCESS_LOG = "access-log"  # the staff page of the log: who looked at which patients
    REFUSAL = "refusal"  # a page or API call refused for the person's role (a 403)
    CHANGE_HISTORY = "change-history"  # a patient's changes, old and new values
    WHO_LOOKED = "who-looked"  # a patient's own page of who viewed or changed their record
    # staff management (issue 18)
    STAFF_MEMBER = "staff-member"  # a staff account: invited, changed, switched off or on
    STAFF_INVITATION = "staff-invitation"  # the set-password link sent, and its use
    CLINICAL_ACCESS = "clinical-access"  # the owner's access to clinical data, granted or not
    API_TOKEN = "api-token"  # noqa: S105 (a word, not a secret): a token issued or revoked
    LICENCE_REMINDER = "licence-reminder"  # a licence's coming expiry, emailed
    # outbound webhooks (issue 22)
    WEBHOOK_ENDPOINT = "webhook-endpoint"  # an endpoint added, changed, switched off or on
    WEBHOOK_DELIVERY = "webhook-delivery"  # a test event sent, a failed delivery sent again
    # two-factor sign-in (staff)
    TWO_FACTOR_ENROLMENT = "two-factor-enrolment"  # an authenticator app or a passkey set up
    TWO_FACTOR_RESET = "two-factor-reset"  # every second factor of a staff member removed
    SECOND_FACTOR = "second-factor"  # the second step passed with the app or a passkey
    SECOND_FACTOR_FAILURE = "second-factor-failure"  # a wrong code, a refused passkey, a throttle
    BACKUP_CODES = "backup-codes"  # a new set of backup codes made (the old set stops working)
    BACKUP_CODE_USE = "backup-code-use"  # a backup code used up to sign in
    # signing in (issue 18): create = signed in, delete = signed out (detail says why)
    SIGN_IN = "sign-in"
    SIGN_IN_FAILURE = "sign-in-failure"  # a wrong password, or an account the form refuses
    ACCOUNT_LOCK = "account-lock"  # create = locked after failures, delete = unlocked
    PASSWORD = "password"  # noqa: S105 (a word, not a secret): a staff password changed or reset
    PASSWORD_RESET_REQUEST = "password-reset-request"  # noqa: S105 (a word): a reset link asked
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


def record_listing(
    actor: Actor,
    object_type: Kind,
    patient_public_ids,
    *,
    action: str = AccessLog.Action.READ,
    object_id: object = "",
    detail: dict | None = None,
) -> AccessLog:
    """One row for a list that shows several patients' records (a board, a search, a report,
    an export): which patients it showed."""
    kind = as_kind(object_type)  # before the ids are read: a bad kind fails without side effects
    shown = list(dict.fromkeys(str(p) for p in patient_public_ids))
    return record(actor, action, kind, object_id, detail={**(detail or {}), "patients": shown})


def record_refusal(actor: Actor, path: str, method: str = "") -> AccessLog | None:
    """A refused attempt (a 403): who tried which path. Never lets the refusal itself fail: a
    log that cannot be written (a broken transaction) is reported, and the 403 still answers."""
    try:
        with transaction.atomic():
            return record(
                actor,
                AccessLog.Action.REFUSED,
                Kind.REFUSAL,
                detail={"path": path[:500], "method": method[:10]},
            )
    except DatabaseError:
        logger.exception("could not log a refused request to %s", path[:200])
        return None
