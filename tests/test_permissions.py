"""Who may open what: every route in the URL conf, for each role, anonymous and a patient.

The expectations are written out here, not derived from the code's own role table, and a route
that is added without an entry makes test_every_route_has_an_entry fail.
"""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from glabella.demo.clinic import DEMO_DOMAIN
from glabella.demo.clinic import DEMO_PASSWORD as SECRET
from glabella.messaging import heartbeat
from glabella.messaging.models import InboundText, Message
from glabella.portal import services as portal_services
from glabella.portal.models import ContactMessage
from glabella.portal.views import MENU
from glabella.scheduling.models import CalendarFeed
from glabella.scheduling.notices import manage_token
from glabella.screening.consents import current_documents, sign_consent
from glabella.screening.links import forms_actor, forms_token
from tests.conftest import PERSONAS, future_appointment, receive_lot

ALL_STAFF = {"owner", "medical_director", "injector", "front_desk"}
# The owner sees clinical data only when the medical director grants it (not in the demo).
CLINICIANS = {"medical_director", "injector"}
STOCK_HANDLERS = {"owner", "medical_director", "injector"}
AUDITORS = {"owner", "medical_director"}
SIGNERS = {"medical_director", "injector"}  # a candidacy decision is a clinician's act
DESK = {"owner", "front_desk"}  # who takes payments; refunds are the owner's
CASHIERS = DESK  # the API's invoices, payments and the card's last four
EVERYONE = set(PERSONAS)


def page(allowed: set, ok: int = 200) -> dict:
    """A staff page: anonymous is sent to sign in, the signed-in but not allowed get 403."""
    return {p: ok if p in allowed else (302 if p == "anonymous" else 403) for p in PERSONAS}


def api(allowed: set, ok: int = 200, denied: int = 404) -> dict:
    """An API route: anonymous gets 401; the rest either `ok` or `denied` (404 hides the object)."""
    return {p: ok if p in allowed else (401 if p == "anonymous" else denied) for p in PERSONAS}


def portal(ok: int = 200) -> dict:
    """A page of the patient's own portal: staff are told no, anonymous is sent to sign in."""
    return {p: ok if p == "patient" else (302 if p == "anonymous" else 403) for p in PERSONAS}


def public(ok: int = 200) -> dict:
    return dict.fromkeys(PERSONAS, ok)


# (route name, HTTP method, URL kwargs, request body, {persona: status}).
# Bodies are empty or invalid on purpose: the point is who gets past the door, and nothing is saved.
PATIENT = {"public_id": "<patient>"}
APPOINTMENT = {"public_id": "<appointment>"}
FORMS = {"token": "<forms>"}
TREATMENT = {"public_id": "<treatment>"}
INVOICE = {"public_id": "<invoice>"}
# The API's entries use their own invoice: charted units without a price yet (422s).
API_INVOICE = {"public_id": "<api-invoice>"}
INVOICE_LINE = {"public_id": "<api-invoice>", "line_id": "<invoice-line>"}
API_PACKAGE = {"public_id": "<api-package>"}
API_MEMBERSHIP = {"public_id": "<api-membership>"}
PACKAGE = {"public_id": "<package>"}
MEMBERSHIP = {"public_id": "<membership>"}
NO_ONE = "00000000-0000-0000-0000-000000000000"  # an id nothing has
MATRIX = [
    (
        "core:home",
        "get",
        {},
        None,
        {
            "anonymous": 302,
            "patient": 302,
            "front_desk": 302,
            "injector": 302,
            "medical_director": 302,
            "owner": 302,
        },
    ),
    (
        "core:sign-in",
        "get",
        {},
        None,
        {
            "anonymous": 200,
            "patient": 302,
            "front_desk": 302,
            "injector": 302,
            "medical_director": 302,
            "owner": 302,
        },
    ),
    ("core:sign-out", "post", {}, {}, public(302)),
    # Two-factor sign-in (these staff sessions have passed it: the step sends them on).
    ("core:second-factor", "get", {}, None, page(ALL_STAFF, ok=302)),
    ("core:second-factor", "post", {}, {}, page(ALL_STAFF, ok=302)),
    ("core:two-factor-setup", "get", {}, None, page(ALL_STAFF)),
    ("core:two-factor-app", "get", {}, None, page(ALL_STAFF)),
    ("core:two-factor-app", "post", {}, {}, page(ALL_STAFF, ok=422)),
    ("core:two-factor-passkey", "get", {}, None, page(ALL_STAFF)),
    ("core:two-factor-backup-codes", "get", {}, None, page(ALL_STAFF)),
    ("otp_webauthn:credential-registration-begin", "post", {}, {}, api(ALL_STAFF, denied=403)),
    (
        "otp_webauthn:credential-registration-complete",
        "post",
        {},
        {},
        api(ALL_STAFF, ok=400, denied=403),
    ),
    ("otp_webauthn:credential-authentication-begin", "post", {}, {}, api(ALL_STAFF, denied=403)),
    (
        "otp_webauthn:credential-authentication-complete",
        "post",
        {},
        {},
        api(ALL_STAFF, ok=400, denied=403),
    ),
    ("otp_webauthn:js-i18n-catalog", "get", {}, None, public()),
    # Issue 18: the idle warning's "stay signed in", password reset and change.
    ("core:still-here", "post", {}, {}, page(ALL_STAFF, ok=204)),
    ("core:password-reset", "get", {}, None, public()),
    ("core:password-reset", "post", {}, {}, public(422)),
    ("core:password-reset-sent", "get", {}, None, public()),
    ("core:password-reset-confirm", "get", {"uidb64": "MQ", "token": "forged"}, None, public(410)),
    ("core:password-change", "get", {}, None, page(ALL_STAFF)),
    ("core:password-change", "post", {}, {}, page(ALL_STAFF, ok=422)),
    # A clinician's own signing PIN (issue 18): an empty form is refused field by field.
    ("core:signing-pin", "get", {}, None, page(SIGNERS)),
    ("core:signing-pin", "post", {}, {}, page(SIGNERS, ok=422)),
    # Unlocking the tablet handed to a patient: open to whoever holds it; unlocked, it says so.
    ("core:tablet-release", "get", {}, None, public(200)),
    ("patients:access-log", "get", {}, None, page(AUDITORS)),
    ("patients:search", "get", {}, None, page(ALL_STAFF)),
    ("patients:register", "get", {}, None, page(ALL_STAFF)),
    ("patients:register", "post", {}, {}, page(ALL_STAFF, ok=422)),
    ("patients:record", "get", PATIENT, None, page(ALL_STAFF)),
    ("patients:edit", "get", PATIENT, None, page(ALL_STAFF)),
    ("patients:changes", "get", PATIENT, None, page(ALL_STAFF)),
    ("patients:edit", "post", PATIENT, {}, page(ALL_STAFF, ok=422)),
    ("patients:status", "post", PATIENT, {}, page(CLINICIANS, ok=422)),
    ("patients:add-entry", "post", {**PATIENT, "kind": "allergy"}, {}, page(CLINICIANS, ok=422)),
    ("patients:add-note", "post", PATIENT, {}, page(ALL_STAFF, ok=422)),
    (
        "patients:entry-active",
        "post",
        {**PATIENT, "kind": "allergy", "entry_id": "<allergy>"},
        {"active": "0"},
        page(CLINICIANS, ok=302),
    ),
    (
        "patients:portal-me",
        "get",
        {},
        None,
        {
            "anonymous": 302,
            "patient": 200,
            "front_desk": 403,
            "injector": 403,
            "medical_director": 403,
            "owner": 403,
        },
    ),
    ("patients:portal-who-looked", "get", {}, None, portal()),
    ("clinic:overview", "get", {}, None, page(ALL_STAFF)),
    ("clinic:on-call", "get", {}, None, page(ALL_STAFF)),
    # the owner's set-up (issue 19); the brand's stylesheet and logo are public
    ("clinic:setup", "get", {}, None, page({"owner"})),
    ("clinic:setup-identity", "get", {}, None, page({"owner"})),
    ("clinic:setup-identity", "post", {}, {}, page({"owner"}, ok=422)),
    ("clinic:setup-policies", "get", {}, None, page({"owner"})),
    ("clinic:setup-policies", "post", {}, {}, page({"owner"}, ok=422)),
    ("clinic:setup-location-new", "get", {}, None, page({"owner"})),
    ("clinic:setup-location-new", "post", {}, {}, page({"owner"}, ok=422)),
    ("clinic:setup-location", "get", {"public_id": "<location>"}, None, page({"owner"})),
    ("clinic:setup-location", "post", {"public_id": "<location>"}, {}, page({"owner"}, ok=422)),
    (
        "clinic:setup-location-hours",
        "post",
        {"public_id": "<location>"},
        {"0_opens_1": "late"},
        page({"owner"}, ok=422),
    ),
    (
        "clinic:setup-location-areas",
        "post",
        {"public_id": "<location>"},
        {"areas": "!!"},
        page({"owner"}, ok=422),
    ),
    (
        "clinic:setup-location-closed",
        "post",
        {"public_id": "<location>"},
        {},
        page({"owner"}, ok=422),
    ),
    (
        "clinic:setup-location-rooms",
        "post",
        {"public_id": "<location>"},
        {},
        page({"owner"}, ok=422),
    ),
    ("clinic:setup-service-new", "get", {}, None, page({"owner"})),
    ("clinic:setup-service-new", "post", {}, {}, page({"owner"}, ok=422)),
    ("clinic:setup-service", "get", {"public_id": "<service>"}, None, page({"owner"})),
    ("clinic:setup-service", "post", {"public_id": "<service>"}, {}, page({"owner"}, ok=422)),
    ("clinic:brand-css", "get", {}, None, public()),
    ("clinic:brand-logo", "get", {}, None, public(404)),
    # Staff management: the owner's; the owner's clinical access is the medical director's.
    ("clinic:team", "get", {}, None, page({"owner"})),
    ("clinic:team-invite", "get", {}, None, page({"owner"})),
    ("clinic:team-invite", "post", {}, {}, page({"owner"}, ok=422)),
    ("clinic:team-member", "get", {"public_id": "<staff>"}, None, page({"owner"})),
    ("clinic:team-member", "post", {"public_id": "<staff>"}, {}, page({"owner"}, ok=422)),
    (
        "clinic:team-member-action",
        "post",
        {"public_id": "<staff>", "action": "reset-two-factor"},
        {},
        page({"owner"}, ok=302),
    ),
    ("clinic:api-tokens", "get", {}, None, page({"owner"})),
    ("clinic:api-tokens", "post", {}, {}, page({"owner"}, ok=422)),
    ("clinic:api-token-revoke", "post", {"public_id": "<token>"}, {}, page({"owner"}, ok=302)),
    # Outbound webhooks (issue 22): the owner's. The MATRIX endpoint is on and its delivery
    # delivered, so switching on and sending again are refused with a message (302).
    ("webhooks:list", "get", {}, None, page({"owner"})),
    ("webhooks:new", "get", {}, None, page({"owner"})),
    ("webhooks:new", "post", {}, {}, page({"owner"}, ok=422)),
    ("webhooks:endpoint", "get", {"public_id": "<endpoint>"}, None, page({"owner"})),
    ("webhooks:endpoint", "post", {"public_id": "<endpoint>"}, {}, page({"owner"}, ok=422)),
    (
        "webhooks:endpoint-action",
        "post",
        {"public_id": "<endpoint>", "action": "switch-on"},
        {},
        page({"owner"}, ok=302),
    ),
    ("webhooks:resend", "post", {"public_id": "<delivery>"}, {}, page({"owner"}, ok=302)),
    ("clinic:clinical-access", "get", {}, None, page({"medical_director"})),
    ("clinic:clinical-access", "post", {}, {}, page({"medical_director"}, ok=422)),
    ("clinic:welcome", "get", {"uidb64": "MQ", "token": "x-y"}, None, public(410)),
    # The FHIR API: its statement is public; a patient reads her own record, staff their reach.
    ("fhir:metadata", "get", {}, None, public()),
    ("fhir:search", "get", {"resource_type": "Patient"}, None, api(ALL_STAFF | {"patient"})),
    (
        "fhir:read",
        "get",
        {"resource_type": "Patient", "resource_id": "<patient>"},
        None,
        api(ALL_STAFF | {"patient"}),
    ),
    # Bulk export: clinicians (and a patient for her own compartment) get past the door, then
    # are refused without Prefer: respond-async (400); a job or file of no one answers 404.
    ("fhir:export", "get", {}, None, api(CLINICIANS, ok=400, denied=403)),
    ("fhir:patients-export", "get", {}, None, api(CLINICIANS, ok=400, denied=403)),
    (
        "fhir:patient-export",
        "get",
        {"patient_id": "<patient>"},
        None,
        api(CLINICIANS | {"patient"}, ok=400, denied=403),
    ),
    (
        "fhir:group-export",
        "get",
        {"group_id": "all-patients"},
        None,
        api(CLINICIANS, ok=400, denied=403),
    ),
    ("fhir:export-status", "get", {"job_id": NO_ONE}, None, api(set())),
    ("fhir:export-status", "delete", {"job_id": NO_ONE}, None, api(set())),
    ("fhir:export-file", "get", {"job_id": NO_ONE, "file_id": NO_ONE}, None, api(set())),
    ("api:openapi-json", "get", {}, None, public()),
    ("api:openapi-view", "get", {}, None, public()),
    ("api:api-root", "get", {}, None, public(404)),
    ("api:search_patients", "get", {}, {"q": "Holloway"}, api(ALL_STAFF | {"patient"})),
    ("api:register_patient", "post", {}, {}, api(ALL_STAFF, ok=422, denied=403)),
    ("api:read_patient", "get", PATIENT, None, api(ALL_STAFF | {"patient"})),
    ("api:change_patient", "patch", PATIENT, {}, api(ALL_STAFF, denied=403)),
    ("api:read_clinical", "get", PATIENT, None, api(CLINICIANS | {"patient"})),
    ("api:add_allergy", "post", PATIENT, {}, api(CLINICIANS, ok=422, denied=403)),
    ("api:add_condition", "post", PATIENT, {}, api(CLINICIANS, ok=422, denied=403)),
    ("api:add_medication", "post", PATIENT, {}, api(CLINICIANS, ok=422, denied=403)),
    ("api:list_locations", "get", {}, None, public()),
    ("api:read_location", "get", {"public_id": "<location>"}, None, public()),
    ("api:check_service_area", "get", {}, {"q": "Camarillo"}, public()),
    ("api:list_services", "get", {}, None, public()),
    ("api:list_rooms", "get", {}, None, api(ALL_STAFF, denied=403)),
    ("api:list_staff", "get", {}, None, api(ALL_STAFF, denied=403)),
    (
        "api:availability",
        "get",
        {},
        {"service": "consultation", "location": "thousand-oaks"},
        public(),
    ),
    ("api:book", "post", {}, {}, api(ALL_STAFF | {"patient"}, ok=422)),
    ("api:list_appointments", "get", {}, None, api(ALL_STAFF | {"patient"})),
    ("api:read_appointment", "get", APPOINTMENT, None, api(ALL_STAFF | {"patient"})),
    ("api:reschedule", "post", APPOINTMENT, {}, api(ALL_STAFF | {"patient"}, ok=422)),
    ("api:cancel", "post", APPOINTMENT, {"x": 1}, api(ALL_STAFF | {"patient"}, ok=422)),
    ("api:check_in", "post", APPOINTMENT, {}, api(ALL_STAFF, ok=422, denied=403)),
    ("api:complete", "post", APPOINTMENT, {}, api(ALL_STAFF, ok=422, denied=403)),
    ("api:no_show", "post", APPOINTMENT, {}, api(ALL_STAFF, ok=422, denied=403)),
    # The MATRIX appointment is a consultation in ten days: it goes on as no treatment (422).
    ("api:treat_in_visit", "post", APPOINTMENT, {}, api(ALL_STAFF, ok=422, denied=403)),
    ("api:join_waitlist", "post", {}, {}, api(ALL_STAFF | {"patient"}, ok=422)),
    ("scheduling:book", "get", {}, None, public()),
    ("scheduling:book", "post", {}, {}, public(422)),
    ("scheduling:manage", "get", {"token": "<manage>"}, None, public()),
    ("scheduling:manage", "post", {"token": "<manage>"}, {}, public(422)),
    ("scheduling:manage-ics", "get", {"token": "<manage>"}, None, public()),
    ("scheduling:feed", "get", {"token": "<feed>"}, None, public()),
    # Cards online (Stripe): off without keys, so every route answers 404 past the door; with
    # keys, tests/test_stripe.py walks them (the desk and the owner charge fees, clinicians 403).
    ("cards:start", "post", {"token": "<manage>"}, {}, public(404)),
    (
        "cards:return",
        "get",
        {"public_id": "00000000-0000-4000-8000-000000000000"},
        None,
        public(404),
    ),
    ("cards:webhook", "post", {}, {}, public(404)),
    # Health and metrics (decision 0046): the probe for everyone (answered before any session;
    # the test beats for a worker first); metrics for loopback, which the test
    # client is; both GET only.
    ("health:healthz", "get", {}, None, public()),
    ("health:healthz", "post", {}, {}, public(405)),
    ("health:metrics", "get", {}, None, public()),
    ("health:metrics", "post", {}, {}, public(405)),
    # Twilio's callbacks: off (404) until the clinic sets Twilio; tests/test_texts_twilio.py
    # signs requests to them (a forged one is 403 for everyone).
    ("texts:inbound", "post", {}, {}, public(404)),
    ("texts:status", "post", {"public_id": "<message>"}, {}, public(404)),
    ("texts:service-status", "post", {}, {}, public(404)),
    ("cards:fee", "get", APPOINTMENT, None, page({"owner", "front_desk"}, ok=404)),
    ("cards:fee", "post", APPOINTMENT, {}, page({"owner", "front_desk"}, ok=404)),
    ("cards:policy", "get", {}, None, page({"owner"})),
    ("cards:policy", "post", {}, {}, page({"owner"}, ok=422)),
    ("scheduling:calendar", "get", {}, None, page(ALL_STAFF)),
    ("scheduling:my-feed", "get", {}, None, page(ALL_STAFF)),
    ("scheduling:my-feed", "post", {}, {}, page(ALL_STAFF, ok=422)),
    # providers' hours and time off (issue 19): the owner for anyone, a clinician for themself
    (
        "scheduling:hours",
        "get",
        {},
        None,
        {**page({"owner"}), "injector": 302, "medical_director": 302},
    ),
    ("scheduling:hours-for", "get", {"public_id": "<injector>"}, None, page({"owner", "injector"})),
    (
        "scheduling:hours-for",
        "post",
        {"public_id": "<injector>"},
        {},
        page({"owner", "injector"}, ok=422),
    ),
    (
        "scheduling:time-off",
        "post",
        {"public_id": "<injector>"},
        {},
        page({"owner", "injector"}, ok=422),
    ),
    ("messaging:outbox", "get", {}, None, page(ALL_STAFF)),
    ("messaging:retry", "post", {"public_id": "<message>"}, {}, page(ALL_STAFF, ok=302)),
    ("scheduling:staff-book", "get", {}, None, page(ALL_STAFF)),
    ("scheduling:staff-book", "post", {}, {}, page(ALL_STAFF, ok=422)),
    (
        "scheduling:appointment-action",
        "post",
        {"public_id": "<appointment>", "action": "check-in"},
        {},
        page(ALL_STAFF, ok=302),
    ),
    ("scheduling:book-at", "get", {}, None, page(ALL_STAFF)),
    ("scheduling:book-at", "post", {}, {}, page(ALL_STAFF, ok=422)),
    ("scheduling:move-visit", "get", APPOINTMENT, None, page(ALL_STAFF)),
    ("scheduling:move-visit", "post", APPOINTMENT, {}, page(ALL_STAFF, ok=422)),
    ("scheduling:cancel-visit", "get", APPOINTMENT, None, page(ALL_STAFF)),
    ("scheduling:cancel-visit", "post", APPOINTMENT, {}, page(ALL_STAFF, ok=422)),
    ("scheduling:waitlist", "get", {}, None, page(ALL_STAFF)),
    ("scheduling:waitlist-offer", "get", {"public_id": "<waitlist>"}, None, page(ALL_STAFF)),
    (
        "scheduling:waitlist-offer",
        "post",
        {"public_id": "<waitlist>"},
        {},
        page(ALL_STAFF, ok=422),
    ),
    ("scheduling:waitlist-remove", "get", {"public_id": "<waitlist>"}, None, page(ALL_STAFF)),
    (
        "scheduling:waitlist-remove",
        "post",
        {"public_id": "<waitlist>"},
        {},
        page(ALL_STAFF, ok=422),
    ),
    ("scheduling:treat-now", "get", APPOINTMENT, None, page(ALL_STAFF)),
    ("scheduling:treat-now", "post", APPOINTMENT, {}, page(ALL_STAFF, ok=422)),
    # Screening: the patient's forms open with a signed link; staff pages by role.
    ("screening:forms", "get", FORMS, None, public()),
    ("screening:forms-intake", "get", FORMS, None, public()),
    ("screening:forms-intake", "post", FORMS, {}, public(422)),
    ("screening:forms-consent", "get", {**FORMS, "kind": "photo"}, None, public()),
    ("screening:forms-consent", "post", {**FORMS, "kind": "photo"}, {}, public(422)),
    (
        "screening:forms-consent-pdf",
        "get",
        {**FORMS, "consent_id": "<consent>"},
        None,
        public(),
    ),
    (
        "screening:portal-forms",
        "get",
        {},
        None,
        {
            "anonymous": 302,
            "patient": 302,
            "front_desk": 403,
            "injector": 403,
            "medical_director": 403,
            "owner": 403,
        },
    ),
    ("screening:self-check", "get", {}, None, public()),
    ("screening:self-check", "post", {}, {}, public(422)),
    ("screening:patient", "get", PATIENT, None, page(CLINICIANS)),
    ("screening:staff-intake", "get", PATIENT, None, page(CLINICIANS)),
    ("screening:staff-intake", "post", PATIENT, {}, page(CLINICIANS, ok=422)),
    ("screening:sign-decision", "get", PATIENT, None, page(SIGNERS)),
    ("screening:sign-decision", "post", PATIENT, {}, page(SIGNERS, ok=422)),
    ("screening:patient-forms", "get", PATIENT, None, page(ALL_STAFF)),
    ("screening:patient-forms", "post", PATIENT, {}, page(ALL_STAFF, ok=422)),
    ("screening:consent-pdf", "get", {"consent_id": "<consent>"}, None, page(ALL_STAFF)),
    (
        "screening:withdraw-consent",
        "post",
        {"consent_id": "<consent>"},
        {},
        page(ALL_STAFF, ok=302),
    ),
    ("screening:policies", "get", {}, None, page(CLINICIANS)),
    ("screening:policies", "post", {}, {}, page(CLINICIANS, ok=422)),
    ("screening:consent-documents", "get", {}, None, page(ALL_STAFF)),
    ("screening:consent-documents", "post", {}, {}, page(ALL_STAFF, ok=422)),
    ("api:evaluate", "post", {}, {}, api(ALL_STAFF, ok=422, denied=403)),
    ("api:submit_intake", "post", PATIENT, {}, api(ALL_STAFF | {"patient"}, ok=422)),
    ("api:list_intake", "get", PATIENT, None, api(CLINICIANS | {"patient"})),
    ("api:read_screening", "get", PATIENT, None, api(CLINICIANS, denied=403)),
    ("api:list_decisions", "get", PATIENT, None, api(CLINICIANS | {"patient"})),
    ("api:sign_decision", "post", PATIENT, {}, api(SIGNERS, ok=422, denied=403)),
    ("api:list_consents", "get", PATIENT, None, api(ALL_STAFF | {"patient"})),
    ("api:list_review_settings", "get", {}, None, api(CLINICIANS, denied=403)),
    (
        "api:set_review_setting",
        "post",
        {},
        {},
        api({"medical_director"}, ok=422, denied=403),
    ),
    # Treatments and stock: charting is a clinician's act; the owner reads and handles stock.
    ("api:check_plan", "post", {}, {}, api(CLINICIANS, ok=422, denied=403)),
    ("api:start_record", "post", {}, {}, api(SIGNERS, ok=422, denied=403)),
    ("api:read_record", "get", TREATMENT, None, api(CLINICIANS | {"patient"})),
    ("api:save_draft", "post", TREATMENT, {}, api(SIGNERS, ok=422, denied=403)),
    # Only the injector who charted a record signs it (the medical director gets 403 here).
    ("api:sign_record", "post", TREATMENT, {}, api({"injector"}, ok=422, denied=403)),
    ("api:amend_record", "post", TREATMENT, {}, api(SIGNERS, ok=422, denied=403)),
    # Only the medical director co-signs a dose above the ceiling, and sets the house maximums.
    ("api:cosign_record", "post", TREATMENT, {}, api({"medical_director"}, ok=422, denied=403)),
    ("api:house_limits", "get", {}, None, api(CLINICIANS, denied=403)),
    ("api:set_house_limit", "post", {}, {}, api({"medical_director"}, ok=422, denied=403)),
    ("api:receive", "post", {}, {}, api(STOCK_HANDLERS, ok=422, denied=403)),
    (
        "api:reconstitute",
        "post",
        {"public_id": "<vial>"},
        {},
        api(STOCK_HANDLERS, ok=422, denied=403),
    ),
    ("api:recall", "get", {"public_id": "<lot>"}, None, api(CLINICIANS, denied=403)),
    # Money (issue 20): the desk and the owner see invoices and take payments; refunds are the
    # owner's. A clinician or a patient is told 404 for an invoice (hidden), 403 at the door of
    # the list and of every write. The MATRIX invoice is open with its charted units unpriced:
    # it cannot be finalized, and the charted line cannot be removed (422).
    ("api:list_invoices", "get", {}, None, api(CASHIERS, denied=403)),
    ("api:read_invoice", "get", API_INVOICE, None, api(CASHIERS)),
    ("api:open_invoice", "post", {}, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:set_line_units", "post", INVOICE_LINE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:remove_line", "delete", INVOICE_LINE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:add_service", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:add_units", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:add_discount", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:add_reward", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:apply_promotion", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:finalize", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:void", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:take_payment", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    (
        "api:refund_payment",
        "post",
        {"public_id": "<api-payment>"},
        {},
        api({"owner"}, ok=422, denied=403),
    ),
    # Packages and memberships: the desk's, adjusting a balance the owner's. The MATRIX package
    # is paid and the membership active: pausing and cancelling it go through (200), resuming
    # an active one is a conflict (409); every other write's empty body is refused (422).
    ("api:list_package_plans", "get", {}, None, api(CASHIERS, denied=403)),
    ("api:list_membership_plans", "get", {}, None, api(CASHIERS, denied=403)),
    ("api:list_packages", "get", {}, None, api(CASHIERS, denied=403)),
    ("api:read_package", "get", API_PACKAGE, None, api(CASHIERS)),
    ("api:sell_package", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:redeem_package", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:adjust_package", "post", API_PACKAGE, {}, api({"owner"}, ok=422, denied=403)),
    ("api:list_memberships", "get", {}, None, api(CASHIERS, denied=403)),
    ("api:read_membership", "get", API_MEMBERSHIP, None, api(CASHIERS)),
    ("api:enrol_member", "post", {}, {}, api(CASHIERS, ok=422, denied=403)),
    ("api:pause_membership", "post", API_MEMBERSHIP, {}, api(CASHIERS, denied=403)),
    ("api:resume_membership", "post", API_MEMBERSHIP, {}, api(CASHIERS, ok=409, denied=403)),
    ("api:cancel_membership", "post", API_MEMBERSHIP, {}, api(CASHIERS, denied=403)),
    ("api:redeem_membership", "post", API_INVOICE, {}, api(CASHIERS, ok=422, denied=403)),
    ("treatments:day", "get", {}, None, page(CLINICIANS)),
    # Aftercare: the check-in opens with its link; the board is for clinicians.
    ("aftercare:check-in", "get", {"token": "<check-in>"}, None, public()),
    ("aftercare:check-in", "post", {"token": "<check-in>"}, {"severity": "bad"}, public(422)),
    ("aftercare:board", "get", {}, None, page(CLINICIANS)),
    ("aftercare:safety", "get", {}, None, page(CLINICIANS)),
    ("aftercare:acknowledge", "post", {"alert_id": "<alert>"}, {}, page(CLINICIANS, ok=302)),
    ("api:triage_report", "post", {}, {}, api(ALL_STAFF, denied=403)),
    ("aftercare:new-event", "get", {"treatment_id": "<signed>"}, None, page(CLINICIANS)),
    ("aftercare:new-event", "post", {"treatment_id": "<signed>"}, {}, page(CLINICIANS, ok=422)),
    ("aftercare:event", "get", {"public_id": "<event>"}, None, page(CLINICIANS)),
    ("aftercare:event", "post", {"public_id": "<event>"}, {}, page(CLINICIANS, ok=302)),
    ("api:submit_check_in", "post", {"token": "<check-in>"}, {}, public(201)),
    ("api:list_alerts", "get", {}, None, api(CLINICIANS, denied=403)),
    ("api:acknowledge", "post", {"public_id": "<alert>"}, {}, api(CLINICIANS, ok=422, denied=403)),
    ("api:open_event", "post", {}, {}, api(CLINICIANS, ok=422, denied=403)),
    ("api:list_events", "get", {}, None, api(CLINICIANS, denied=403)),
    ("api:read_event", "get", {"public_id": "<event>"}, None, api(CLINICIANS, denied=403)),
    ("api:export_event", "get", {"public_id": "<event>"}, None, api(CLINICIANS, denied=403)),
    ("api:revise_event", "patch", {"public_id": "<event>"}, {}, api(CLINICIANS, denied=403)),
    (
        "api:mark_reported",
        "post",
        {"public_id": "<event>"},
        {},
        api(CLINICIANS, ok=422, denied=403),
    ),
    ("api:read_grades", "get", {"public_id": "<signed>"}, None, api(CLINICIANS, denied=403)),
    (
        "api:record_grades",
        "post",
        {"public_id": "<signed>"},
        {},
        api(CLINICIANS, ok=422, denied=403),
    ),
    ("api:patient_forecasts", "get", PATIENT, None, api(CLINICIANS, denied=403)),
    ("api:due_list", "get", {}, None, api(ALL_STAFF, ok=422, denied=403)),
    ("api:list_photos", "get", PATIENT, None, api(CLINICIANS, denied=403)),
    ("api:add_photo", "post", PATIENT, {}, api(CLINICIANS, ok=422, denied=403)),
    ("api:durations_of", "get", PATIENT, None, api(CLINICIANS, denied=403)),
    ("outcomes:movement", "get", {"token": "<movement>"}, None, public()),
    ("outcomes:movement", "post", {"token": "<movement>"}, {}, public(ok=422)),
    ("outcomes:book-again", "get", {"token": "<invitation>"}, None, public()),
    ("outcomes:book-again", "post", {"token": "<invitation>"}, {}, public(ok=422)),
    ("outcomes:photos", "get", PATIENT, None, page(CLINICIANS)),
    ("outcomes:photos", "post", PATIENT, {}, page(CLINICIANS, ok=422)),
    ("outcomes:photo", "get", {"public_id": "<clinical-photo>"}, None, page(CLINICIANS)),
    ("outcomes:thumbnail", "get", {"public_id": "<clinical-photo>"}, None, page(CLINICIANS)),
    ("outcomes:patient", "get", PATIENT, None, page(CLINICIANS)),
    ("outcomes:patient", "post", PATIENT, {}, page(CLINICIANS, ok=422)),
    ("outcomes:due", "get", {}, None, page(ALL_STAFF)),
    ("outcomes:invite", "post", {}, {}, page(ALL_STAFF, ok=422)),
    ("outcomes:invite-all", "post", {}, {}, page(ALL_STAFF, ok=422)),
    ("outcomes:practice", "get", {}, None, page(CLINICIANS)),
    ("aftercare:portal", "get", {}, None, portal()),
    ("aftercare:portal-report", "get", {"treatment_id": "<signed>"}, None, portal()),
    (
        "aftercare:portal-report",
        "post",
        {"treatment_id": "<signed>"},
        {"severity": "bad"},
        portal(ok=422),
    ),
    # The public site and the portal (issue 8).
    ("portal:home", "get", {}, None, public()),
    *((f"portal:{slug}", "get", {}, None, public()) for slug in MENU),
    ("portal:locations", "get", {}, None, public()),
    ("portal:service-area", "get", {}, {"area": "Camarillo"}, public()),
    ("portal:service-area", "get", {}, {"area": "?"}, public(422)),
    ("portal:contact", "get", {}, None, public()),
    ("portal:contact", "post", {}, {}, public(422)),
    ("portal:sign-in", "get", {}, None, {**public(), "patient": 302}),
    ("portal:sign-in", "post", {}, {}, {**public(422), "patient": 302}),
    # The patient persona signs in after the link is made, which uses up her links.
    ("portal:link", "get", {"token": "<sign-in>"}, None, {**public(), "patient": 410}),
    ("portal:link", "get", {"token": "forged"}, None, public(410)),
    ("portal:me", "get", {}, None, portal()),
    ("portal:book-next", "post", {}, {}, portal(404)),
    ("portal:treatments", "get", {}, None, portal()),
    ("portal:photos", "get", {}, None, portal()),
    ("portal:receipts", "get", {}, None, portal()),
    ("portal:receipt", "get", {"public_id": "<paid-invoice>"}, None, portal()),
    ("portal:photo", "get", {"public_id": "<clinical-photo>", "size": "thumbnail"}, None, portal()),
    ("portal:preferences", "get", {}, None, portal()),
    ("portal:preferences", "post", {}, {}, portal(422)),
    ("portal:password", "post", {}, {}, portal(422)),
    ("portal:my-data", "get", {"fmt": "json"}, None, portal()),
    # A patient's tokens for her apps: her own only (an empty name is refused, 422).
    ("portal:app-tokens", "get", {}, None, portal()),
    ("portal:app-tokens", "post", {}, {}, portal(422)),
    ("portal:app-token-revoke", "post", {"public_id": "<app-token>"}, {}, portal(302)),
    # The switch to the language she already reads: the door is the point, nothing changes.
    ("portal:language", "post", {"code": "en"}, {}, portal(302)),
    ("portal:inbox", "get", {}, None, page(ALL_STAFF)),
    ("portal:handled", "post", {"public_id": "<contact>"}, {}, page(ALL_STAFF, ok=302)),
    ("portal:reply", "post", {"public_id": "<contact>"}, {}, page(ALL_STAFF, ok=422)),
    # A text a patient sent: answered by text (422 here: no consent to texts) or marked read.
    ("portal:text-answer", "post", {"public_id": "<text>"}, {}, page(ALL_STAFF, ok=422)),
    ("portal:text-read", "post", {"public_id": "<text>"}, {}, page(ALL_STAFF, ok=302)),
    ("portal:site-pages", "get", {}, None, page(ALL_STAFF)),
    ("portal:site-page", "get", {"slug": "faq"}, None, page({"owner"})),
    ("portal:site-page", "post", {"slug": "faq"}, {}, page({"owner"}, ok=422)),
    ("aftercare:texts", "get", {}, None, page(ALL_STAFF)),
    ("aftercare:photo", "get", {"public_id": "<photo>"}, None, page(CLINICIANS)),
    ("aftercare:follow-up", "get", {"treatment_id": "<signed>"}, None, page(CLINICIANS)),
    ("aftercare:texts", "post", {}, {}, page(AUDITORS, ok=422)),
    # The MATRIX appointment is a consultation: starting a record on it is refused, with the
    # message on the day's list (422).
    ("treatments:start", "post", {"appointment_id": "<appointment>"}, {}, page(SIGNERS, ok=422)),
    ("treatments:record", "get", TREATMENT, None, page(CLINICIANS)),
    # The live dose guard on the rows posted: none arrive whole here, so the panel says so (422).
    ("treatments:check", "post", TREATMENT, {}, page(SIGNERS, ok=422)),
    # Only the injector who charts the draft may change it.
    ("treatments:record", "post", TREATMENT, {}, page({"injector"}, ok=422)),
    # Only the medical director co-signs above a ceiling; this draft meets none (422).
    (
        "treatments:record",
        "post",
        TREATMENT,
        {"action": "cosign", "secret": SECRET},
        page({"medical_director"}, ok=422),
    ),
    ("treatments:note-pdf", "get", TREATMENT, None, page(CLINICIANS)),
    # The chart's vial panel: clinicians look; the charting injector reconstitutes (422: none).
    ("treatments:vials", "get", TREATMENT, None, page(CLINICIANS)),
    ("treatments:vials", "post", TREATMENT, {}, page({"injector"}, ok=422)),
    ("treatments:reports", "get", {}, None, page(CLINICIANS)),
    ("treatments:protocol", "get", {}, None, page(CLINICIANS)),
    ("treatments:protocol", "post", {}, {}, page({"medical_director"}, ok=422)),
    ("treatments:recall", "get", {"lot_id": "<lot>"}, None, page(CLINICIANS)),
    ("treatments:recall", "post", {"lot_id": "<lot>"}, {}, page(CLINICIANS, ok=302)),
    # Checkout (issue 20): the desk's; clinicians and patients see no invoice; refunds the owner's.
    ("billing:checkout", "get", {}, None, page(DESK)),
    ("billing:invoice", "get", INVOICE, None, page(DESK)),
    ("billing:invoice-action", "post", {**INVOICE, "action": "payment"}, {}, page(DESK, ok=422)),
    ("billing:invoice-action", "post", {**INVOICE, "action": "void"}, {}, page(DESK, ok=422)),
    (
        "billing:invoice-action",
        "post",
        {**INVOICE, "action": "apply-deposit"},
        {},
        page(DESK, ok=422),
    ),
    ("billing:receipt", "get", {"public_id": "<paid-invoice>"}, None, page(DESK)),
    ("billing:refund", "get", {"public_id": "<payment>"}, None, page({"owner"})),
    ("billing:refund", "post", {"public_id": "<payment>"}, {}, page({"owner"}, ok=422)),
    ("inventory:stock", "get", {}, None, page(ALL_STAFF)),
    ("inventory:stock", "post", {}, {}, page(STOCK_HANDLERS, ok=422)),
    ("inventory:lot", "get", {"public_id": "<lot>"}, None, page(ALL_STAFF)),
    ("inventory:reconstitution", "get", {"public_id": "<vial>"}, None, page(STOCK_HANDLERS)),
    ("inventory:reconstitution", "post", {"public_id": "<vial>"}, {}, page(STOCK_HANDLERS, ok=422)),
    (
        "inventory:vial-action",
        "post",
        {"public_id": "<vial>", "action": "reconstitute"},
        {},
        page(STOCK_HANDLERS, ok=302),
    ),
    (
        "inventory:lot-action",
        "post",
        {"public_id": "<lot>", "action": "reconstitute"},
        {},
        page(STOCK_HANDLERS, ok=422),
    ),
    # Money (issue 20): the owner's prices; the desk closes the day; the owner's reports.
    ("prices:home", "get", {}, None, page({"owner"})),
    ("prices:product", "post", {}, {}, page({"owner"}, ok=422)),
    ("prices:sales-tax", "post", {"public_id": "<location>"}, {}, page({"owner"}, ok=422)),
    ("prices:promotion-new", "get", {}, None, page({"owner"})),
    ("prices:promotion-new", "post", {}, {}, page({"owner"}, ok=422)),
    ("prices:promotion", "get", {"code": "NO-SUCH-CODE"}, None, page({"owner"}, ok=404)),
    ("prices:promotion", "post", {"code": "NO-SUCH-CODE"}, {}, page({"owner"}, ok=404)),
    # Prepaid (issue 20): the owner's packages and memberships on the price page; the desk
    # enrolls, pauses, cancels and reads the ledgers; adjusting a package is the owner's.
    ("prices:package-plan", "post", {}, {}, page({"owner"}, ok=422)),
    ("prices:membership-plan", "post", {}, {}, page({"owner"}, ok=422)),
    ("prices:plan-on-sale", "post", {}, {}, page({"owner"}, ok=422)),
    ("prepaid:enrol", "get", PATIENT, None, page(DESK)),
    ("prepaid:enrol", "post", PATIENT, {}, page(DESK, ok=422)),
    ("prepaid:membership", "get", MEMBERSHIP, None, page(DESK)),
    (
        "prepaid:membership-action",
        "post",
        {**MEMBERSHIP, "action": "cancel"},
        {"reason": "x" * 301},
        page(DESK, ok=422),
    ),
    ("prepaid:membership-adjust", "post", MEMBERSHIP, {}, page({"owner"}, ok=422)),
    ("prepaid:package", "get", PACKAGE, None, page(DESK)),
    ("prepaid:package-adjust", "post", PACKAGE, {}, page({"owner"}, ok=422)),
    ("close:day", "get", {}, None, page({"owner", "front_desk"})),
    ("close:day", "post", {}, {}, page({"owner", "front_desk"}, ok=422)),
    ("close:closes", "get", {}, None, page({"owner"})),
    ("close:revenue", "get", {}, None, page({"owner"})),
    ("close:reconciliation", "get", {}, None, page({"owner"})),
]


def routes(resolver=None, namespace=None):
    """(name, pattern) for every route of the URL conf; unnamed ones as `unnamed:<pattern>`."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns == "admin":
                continue  # Django's own admin: tested as a whole in test_admin_is_for_the_owner
            yield from routes(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry
        elif isinstance(entry, URLPattern):
            yield f"unnamed:{entry.pattern}", entry


def route_names() -> set[str]:
    return {name for name, _ in routes()}


def test_every_route_has_an_entry():
    covered = {name for name, *_ in MATRIX}
    assert route_names() - covered == set(), "add the new routes to MATRIX"
    assert covered - route_names() == set(), "MATRIX names routes that no longer exist"


def _resolve(kwargs: dict, objects: dict) -> dict:
    return {
        k: objects[v] if isinstance(v, str) and v.startswith("<") else v for k, v in kwargs.items()
    }


def _treatment_objects(patient, clinic) -> dict:
    from glabella.core.access import actor_for
    from glabella.core.models import StaffMember
    from glabella.treatments import charting

    lot = receive_lot(clinic, product="dysport", vial_units=300, lot_number="P1")
    appointment = future_appointment(
        patient, clinic, days=3, service_slug="neuromodulator", checked_in=True
    )
    injector = StaffMember.objects.get(role="injector", credential="NP")
    record = charting.start(actor_for(injector.user), appointment, "dysport")
    from django.utils import timezone

    from glabella.aftercare import check_ins, reports
    from glabella.aftercare.models import CheckIn

    due = timezone.now()
    first, second = (
        CheckIn.objects.create(treatment=record, patient=patient, day=d, due_at=due)
        for d in (1, 14)
    )
    report = reports.submit(second, {"symptoms": ["wheezing"], "severity": "mild"})
    from glabella.aftercare.models import AdverseEvent

    event = AdverseEvent.objects.create(
        patient=patient,
        treatment=record,
        source="call",
        description="Wheezing after the treatment",
        onset_on=due.date(),
        outcomes=["none"],
        causality="possible",
        reporter=injector,
    )
    # A signed record (an adverse event is recorded against one), signed here without the charting.
    later = future_appointment(
        patient, clinic, days=4, service_slug="neuromodulator", checked_in=True
    )
    signed = charting.start(actor_for(injector.user), later, "dysport")
    type(signed).objects.filter(pk=signed.pk).update(locked_at=due)
    from glabella.aftercare.models import ReportPhoto

    photo = ReportPhoto.objects.create(
        report=report, patient=patient, data=b"\xff\xd8", width=1, height=1
    )
    outcome_objects = _outcome_objects(patient, clinic, signed, injector)
    return {
        **outcome_objects,
        "<photo>": photo.public_id,
        "<signed>": signed.public_id,
        "<event>": event.public_id,
        "<check-in>": check_ins.check_in_token(first),
        "<alert>": report.alert.public_id,
        "<treatment>": record.public_id,
        "<lot>": lot.public_id,
        "<vial>": lot.vials.get().public_id,
    }


def _outcome_objects(patient, clinic, signed, injector) -> dict:
    """A movement check, an invitation and a clinical photo (stored directly: the door is what is
    tested here, not the taking)."""
    from django.utils import timezone

    from glabella.outcomes import durations, invitations
    from glabella.outcomes.models import Course, Invitation, MovementCheck

    Course.objects.create(
        treatment=signed,
        patient=patient,
        product="dysport",
        area="glabellar",
        treated_on=timezone.now().date(),
        dose_ratio=1.0,
        age=40,
        count=0,
    )
    check = MovementCheck.objects.create(
        treatment=signed, patient=patient, day=60, due_at=timezone.now()
    )
    invitation = Invitation.objects.create(
        treatment=signed,
        patient=patient,
        location=clinic,
        injector=injector,
        service=invitations.default_service(),
        book_from=timezone.now().date(),
        status=Invitation.Status.SENT,
    )
    photo = stored_photo(patient, signed, injector, _signed_photo_consent(patient))
    return {
        "<movement>": durations.movement_token(check),
        "<invitation>": invitations.token(invitation),
        "<clinical-photo>": photo.public_id,
    }


def stored_photo(patient, treatment, taken_by, consent):
    """A clinical photo row written directly (the access door is what is tested, not taking)."""
    from django.utils import timezone

    from glabella.outcomes.models import Photo

    return Photo.objects.create(
        patient=patient,
        treatment=treatment,
        view="frown",
        taken_on=timezone.now().date(),
        day=0,
        data=b"\xff\xd8",
        thumbnail=b"\xff\xd8",
        width=1,
        height=1,
        size=2,
        sha256="0" * 64,
        consent=consent,
        taken_by=taken_by,
        via="web",
    )


def _signed_photo_consent(patient):
    document = current_documents(patient.language)["photo"]  # in her language
    return sign_consent(
        forms_actor(patient, "link"),
        patient,
        document,
        typed_name=f"{patient.given_name} {patient.family_name}",
        strokes=[[[0, 0], [200, 80]]],
        adopt_typed=False,
        shown_sha256=document.text_sha256,
        via="link",
    )


def waitlist_entry(patient, clinic):
    from glabella.clinic.models import Service
    from glabella.scheduling.models import WaitlistEntry

    today = timezone.now().astimezone(clinic.zone).date()
    return WaitlistEntry.objects.create(
        patient=patient,
        service=Service.objects.get(slug="consultation"),
        location=clinic,
        earliest=today,
        latest=today + timedelta(days=14),
    )


def billing_objects(patient, clinic) -> dict:
    """An open invoice with a service on it, and another paid in part by cash (finalized); a
    package paid in full, and a membership."""
    from glabella.billing import invoices, memberships, packages, payments
    from glabella.clinic.models import Service
    from glabella.core.access import actor_for
    from glabella.core.models import StaffMember

    desk = actor_for(StaffMember.objects.filter(role="front_desk").order_by("id").first().user)
    owner = actor_for(StaffMember.objects.filter(role="owner").order_by("id").first().user)
    service = Service.objects.get(slug="consultation")
    made = []
    for _ in range(2):
        invoice = invoices.open_invoice(desk, patient, clinic)
        invoices.add_service(desk, invoice, service)
        made.append(invoice)
    paid = payments.take_payment(desk, made[1], method="cash", amount="1.00")
    plan = packages.create_plan(
        owner,
        clinic.organisation,
        name="Matrix 10",
        product="botox_cosmetic",
        units="10",
        price="100",
        valid_days="30",
    )
    sold_on = invoices.open_invoice(desk, patient, clinic)
    package = packages.sell(desk, sold_on, plan)
    payments.take_payment(desk, sold_on, method="cash", amount="100.00")
    club = memberships.create_plan(owner, clinic.organisation, name="Matrix Club", monthly_fee="10")
    return {
        "<invoice>": made[0].public_id,
        "<paid-invoice>": made[1].public_id,
        "<payment>": paid.public_id,
        "<package>": package.public_id,
        "<membership>": memberships.enrol(desk, patient, club, clinic).public_id,
    }


def _staff_objects() -> dict:
    from glabella.clinic.models import Service
    from glabella.core import tokens
    from glabella.core.access import system_actor
    from glabella.core.models import StaffMember

    desk = StaffMember.objects.get(role="front_desk")
    token, _ = tokens.issue(system_actor("test"), desk, "x", ["patient.view"], 5)
    return {
        "<staff>": desk.public_id,
        "<token>": token.public_id,
        "<injector>": StaffMember.objects.get(user__username=f"injector@{DEMO_DOMAIN}").public_id,
        "<service>": Service.objects.get(slug="consultation").public_id,
    }


def _app_token(patient):
    """A token Grace made for an app of hers (the portal's page revokes it)."""
    from glabella.core import tokens
    from glabella.core.access import actor_for

    return tokens.issue_for_patient(actor_for(patient.user), "My health app", None)[0]


def webhook_objects() -> dict:
    """An endpoint and one delivered test event (rows written directly: the door is tested)."""
    import uuid

    from glabella.webhooks.models import Delivery, Endpoint

    endpoint = Endpoint.objects.create(
        name="Lab", url="https://lab.example.com/in", events=["invoice.paid"]
    )
    delivered = Delivery.objects.create(
        endpoint=endpoint, event_id=uuid.uuid4(), event_type="test", payload={}, status="delivered"
    )
    return {"<endpoint>": endpoint.public_id, "<delivery>": delivered.public_id}


def api_billing_objects(patient, clinic) -> dict:
    """An open invoice whose charted units have no price yet, a payment on a finalized one, a
    paid package of 50 units and an active membership (rows written directly: the door is what
    is tested)."""
    from decimal import Decimal

    from glabella.billing.models import (
        Invoice,
        InvoiceLine,
        Membership,
        MembershipPlan,
        PackagePlan,
        PatientPackage,
        Payment,
    )

    invoice = Invoice.objects.create(
        organisation=clinic.organisation, location=clinic, patient=patient
    )
    line = InvoiceLine.objects.create(
        invoice=invoice,
        position=0,
        kind="units",
        description="BOTOX Cosmetic, units",
        product="botox_cosmetic",
        quantity=Decimal("20"),
        unit_price=Decimal("0"),
        amount=Decimal("0"),
        charted_units=Decimal("20"),
    )
    paid = Invoice.objects.create(
        organisation=clinic.organisation,
        location=clinic,
        patient=patient,
        status="finalized",
        number="MATRIX-1",
        finalized_at=timezone.now(),
        charges=Decimal("50.00"),
        total=Decimal("50.00"),
    )
    payment = Payment.objects.create(invoice=paid, method="cash", amount=Decimal("50.00"))
    plan = PackagePlan.objects.create(
        organisation=clinic.organisation,
        name="MATRIX 50",
        product="botox_cosmetic",
        units=Decimal("50"),
        price=Decimal("600"),
        valid_days=365,
    )
    today = timezone.now().astimezone(clinic.zone).date()
    package = PatientPackage.objects.create(
        patient=patient,
        plan=plan,
        units=Decimal("50"),
        balance=Decimal("50"),
        invoice=paid,
        status="active",
        activated_on=today,
        expires_on=today + timedelta(days=365),
    )
    club = MembershipPlan.objects.create(
        organisation=clinic.organisation, name="MATRIX club", monthly_fee=Decimal("99")
    )
    # One live membership a patient: the pages' objects may have enrolled her already.
    membership = Membership.objects.filter(patient=patient, status="active").first()
    membership = membership or Membership.objects.create(
        patient=patient, plan=club, location=clinic, started_on=today
    )
    return {
        "<api-invoice>": invoice.public_id,
        "<invoice-line>": line.pk,
        "<api-payment>": payment.public_id,
        "<api-package>": package.public_id,
        "<api-membership>": membership.public_id,
    }


# The objects a route's URL can name, in groups built together (keys known without building).
TREATMENT_KEYS = {
    "<photo>",
    "<signed>",
    "<event>",
    "<check-in>",
    "<alert>",
    "<treatment>",
    "<lot>",
    "<vial>",
    "<movement>",
    "<invitation>",
    "<clinical-photo>",
}
STAFF_KEYS = {"<staff>", "<token>", "<injector>", "<service>"}
BILLING_KEYS = {"<invoice>", "<paid-invoice>", "<payment>", "<package>", "<membership>"}
API_BILLING_KEYS = {
    "<api-invoice>",
    "<invoice-line>",
    "<api-payment>",
    "<api-package>",
    "<api-membership>",
}


def matrix_objects(patient, clinic, kwargs: dict) -> dict:
    """Grace's allergy and appointment, and only those other objects the route's URL names: a
    signed consent's PDF, a treatment or an invoice takes tens of milliseconds, and the matrix
    makes some two thousand requests."""
    wanted = {v for v in kwargs.values() if isinstance(v, str) and v.startswith("<")}
    allergy = patient.allergies.create(name="Latex")
    appointment = future_appointment(patient, clinic)
    objects = {
        "<patient>": patient.public_id,
        "<allergy>": allergy.public_id,
        "<location>": clinic.public_id,
        "<appointment>": appointment.public_id,
    }
    single = {
        "<manage>": lambda: manage_token(appointment),
        "<feed>": lambda: CalendarFeed.issue(appointment.provider)[1],
        "<message>": lambda: (
            Message.objects.create(
                channel="email", to="a@example.com", topic="test", body="x", status="sent"
            ).public_id
        ),
        "<forms>": lambda: forms_token(patient),
        "<consent>": lambda: _signed_photo_consent(patient).public_id,
        "<sign-in>": lambda: portal_services.sign_in_token(patient),
        "<contact>": lambda: (
            ContactMessage.objects.create(
                name="Ann", email="ann@example.com", message="Hello"
            ).public_id
        ),
        "<waitlist>": lambda: waitlist_entry(patient, clinic).public_id,
        "<app-token>": lambda: _app_token(patient).public_id,
        "<text>": lambda: (
            InboundText.objects.create(
                message_sid="SM" + "0" * 32, from_number=patient.phone, body="Hi", patient=patient
            ).public_id
        ),
    }
    for key in wanted & set(single):
        objects[key] = single[key]()
    groups = [
        (TREATMENT_KEYS, lambda: _treatment_objects(patient, clinic)),
        (STAFF_KEYS, _staff_objects),
        ({"<endpoint>", "<delivery>"}, webhook_objects),
        (BILLING_KEYS, lambda: billing_objects(patient, clinic)),
        (API_BILLING_KEYS, lambda: api_billing_objects(patient, clinic)),
    ]
    for keys, build in groups:
        if wanted & keys:
            built = build()
            assert set(built) == keys, "a group's keys changed: update them here"
            objects.update(built)
    return objects


def test_every_placeholder_in_the_matrix_is_built():
    named = {v for _, _, kwargs, _, _ in MATRIX for v in kwargs.values() if str(v).startswith("<")}
    known = {"<patient>", "<allergy>", "<location>", "<appointment>", "<manage>", "<feed>"}
    known |= {"<message>", "<forms>", "<consent>", "<sign-in>", "<contact>", "<waitlist>"}
    known |= {"<app-token>", "<endpoint>", "<delivery>", "<text>"}
    assert named <= known | TREATMENT_KEYS | STAFF_KEYS | BILLING_KEYS | API_BILLING_KEYS


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "method", "kwargs", "body", "expected"), MATRIX, ids=[f"{m[0]}-{m[1]}" for m in MATRIX]
)
def test_route_answers_each_persona(
    client_for, patient, clinic, persona, name, method, kwargs, body, expected
):
    objects = matrix_objects(patient, clinic, kwargs)
    if name.startswith("health:"):  # a worker alive, as beside any running site
        heartbeat.beat("matrix-worker", started_at=timezone.now())
    url = reverse(name, kwargs=_resolve(kwargs, objects))
    client = client_for(persona)
    if method == "get":
        response = client.get(url, body or {})
    elif name.startswith("api:"):
        response = getattr(client, method)(url, body, content_type="application/json")
    else:
        response = getattr(client, method)(url, body)
    assert response.status_code == expected[persona], (
        f"{persona} {method.upper()} {url}: {response.status_code}, expected {expected[persona]}"
    )
    if response.status_code == 302 and persona == "anonymous" and name != "core:sign-out":
        # Patients' pages send to the portal's sign-in (link or password), staff pages to theirs.
        patients_page = expected["patient"] != 403 and name != "core:home"
        sign_in = "portal:sign-in" if patients_page else "core:sign-in"
        assert response["Location"].startswith(reverse(sign_in))


@pytest.mark.parametrize("persona", ["patient", "front_desk", "injector", "medical_director"])
def test_patients_and_staff_other_than_the_owner_are_kept_out_of_django_admin(client_for, persona):
    response = client_for(persona).get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_is_for_the_owner(client_for):
    assert client_for("owner").get("/admin/").status_code == 200


def test_a_patient_reaches_only_their_own_record(client_for, other_patient):
    client = client_for("patient")
    assert client.get(f"/api/v1/patients/{other_patient.public_id}").status_code == 404
    assert client.get(f"/api/v1/patients/{other_patient.public_id}/clinical").status_code == 404
    found = client.get("/api/v1/patients", {"q": other_patient.family_name}).json()
    assert found == []


def test_front_desk_sees_contact_details_but_not_clinical_history(client_for, patient):
    patient.allergies.create(name="Human albumin")
    response = client_for("front_desk").get(reverse("patients:record", args=[patient.public_id]))
    assert response.status_code == 200
    assert patient.phone_display.encode() in response.content
    assert b"Human albumin" not in response.content
    assert b"Pregnancy" not in response.content


def test_an_unknown_patient_id_is_a_404_for_everyone(client_for):
    url = reverse("patients:record", args=["6f1c1d2e-0000-4000-8000-000000000000"])
    assert client_for("owner").get(url).status_code == 404
