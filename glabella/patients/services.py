"""Every write to a patient's details, and the audited reads: register, update, search, open.
The clinical history (allergies, conditions, medications) is `history.py`.

Each function takes the Actor who asks, checks what they may do, validates the input field by field
(ValidationFailed, nothing written) and writes the change and its access-log row in one transaction.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from glabella.clinic.clock import local_today
from glabella.clinic.models import Location
from glabella.core import audit, phones
from glabella.core.access import Actor, get_restricted_or_404
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.language import CODES as LANGUAGE_CODES
from glabella.core.roles import Capability
from glabella.core.text import INVISIBLE_FORMATTING_MESSAGE, has_invisible_formatting
from glabella.patients.models import (
    BreastfeedingStatus,
    Channel,
    Patient,
    PregnancyStatus,
    Sex,
)
from glabella.patients.search import parse_query, sort_key

Action = audit.Action

CONTACT_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "birth_date",
    "sex",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_phone",
    "preferred_location",
    "preferred_channel",
    "language",
    "email_consent",
    "sms_consent",
    "marketing_consent",
)
CLINICAL_STATUS_FIELDS = ("pregnancy_status", "breastfeeding_status")
REQUIRED = ("given_name", "family_name", "birth_date")
TEXT_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "address_line1",
    "address_line2",
    "city",
    "emergency_contact_name",
)
ZIP_RE = re.compile(r"^\d{5}(-\d{4})?$")
OLDEST_AGE_YEARS = 120
SEARCH_LIMIT = 25
SELECTIVE_TERM_LENGTH = 3  # trigram indexes need three characters
MATCH_FENCE = 10**9  # larger than any clinic's patient list: it bounds nothing


# Names a person reads on pages, labels and exports: no invisible formatting (decision 0026).
NAME_FIELDS = ("given_name", "family_name", "preferred_name")
CONTROL_CHARACTERS_MESSAGE = gettext_noop(
    "Remove the control characters (such as NUL) from this text."
)


def with_control_characters(data: dict) -> list[str]:
    """Names of text fields holding characters no database column should store."""
    return sorted(
        name
        for name, value in data.items()
        if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value)
    )


def plain_text(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def clean_patient_fields(data: dict, *, today: date, partial: bool = False) -> dict:
    """Checks and normalises patient fields; raises ValidationFailed naming each bad field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    unknown = set(data) - set(CONTACT_FIELDS) - set(CLINICAL_STATUS_FIELDS)
    for name in sorted(unknown):
        fail(name, _("This field is not part of a patient record."))
    for name in with_control_characters(data):
        fail(name, _(CONTROL_CHARACTERS_MESSAGE))
    for name in NAME_FIELDS:
        if isinstance(data.get(name), str) and has_invisible_formatting(data[name]):
            fail(name, _(INVISIBLE_FORMATTING_MESSAGE))

    if not partial:
        for name in REQUIRED:
            if data.get(name) in (None, ""):
                fail(name, _("This field is required."))

    for name in TEXT_FIELDS:
        if name in data:
            value = plain_text(data[name])
            limit = Patient._meta.get_field(name).max_length
            if name in REQUIRED and not value:
                fail(name, _("This field is required."))
            elif len(value) > limit:
                fail(name, _("Use at most %(limit)d characters.") % {"limit": limit})
            cleaned[name] = value

    if data.get("birth_date") not in (None, ""):
        born = data["birth_date"]
        if not isinstance(born, date):
            fail("birth_date", _("Enter a date, for example 1985-03-02."))
        elif born > today:
            fail("birth_date", _("The date of birth cannot be in the future."))
        elif born < _years_before(today, OLDEST_AGE_YEARS):
            fail(
                "birth_date",
                _("The date of birth is more than %(years)d years ago.")
                % {"years": OLDEST_AGE_YEARS},
            )
        else:
            cleaned["birth_date"] = born

    if "sex" in data:
        if data["sex"] not in Sex.values:
            fail("sex", f"Choose one of: {', '.join(Sex.values)}.")
        else:
            cleaned["sex"] = data["sex"]

    if "email" in data:
        email = plain_text(data["email"]).lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                fail("email", _("Enter an email address like name@example.com."))
        cleaned["email"] = email

    for name in ("phone", "emergency_contact_phone"):
        if name in data:
            raw = plain_text(data[name])
            if raw:
                try:
                    cleaned[name] = phones.to_e164(raw)
                except phones.InvalidPhone as exc:
                    fail(name, str(exc))
            else:
                cleaned[name] = ""

    if "state" in data:
        state = plain_text(data["state"]).upper()
        if state and not (len(state) == 2 and state.isalpha()):
            fail("state", "Use the two-letter state code, for example CA.")
        cleaned["state"] = state
    if "postal_code" in data:
        postal = plain_text(data["postal_code"])
        if postal and not ZIP_RE.match(postal):
            fail("postal_code", _("Enter a five-digit ZIP code, for example 91360."))
        cleaned["postal_code"] = postal

    if "preferred_location" in data:
        ref = data["preferred_location"]
        if ref in (None, ""):
            cleaned["preferred_location"] = None
        elif isinstance(ref, Location):
            cleaned["preferred_location"] = ref
        else:
            location = Location.objects.filter(public_id=_uuid_or_none(ref), active=True).first()
            if location is None:
                fail("preferred_location", "There is no such location.")
            cleaned["preferred_location"] = location

    if "preferred_channel" in data:
        if data["preferred_channel"] not in Channel.values:
            fail("preferred_channel", _("Choose email or text message."))
        else:
            cleaned["preferred_channel"] = data["preferred_channel"]
    if data.get("language"):  # a form without the question keeps the language
        if data["language"] not in LANGUAGE_CODES:
            fail("language", _("Choose English or Spanish."))
        else:
            cleaned["language"] = data["language"]
    for name in ("email_consent", "sms_consent", "marketing_consent"):
        if name in data:
            if not isinstance(data[name], bool):
                fail(name, "Answer yes or no.")
            else:
                cleaned[name] = data[name]

    for name, choices in (
        ("pregnancy_status", PregnancyStatus),
        ("breastfeeding_status", BreastfeedingStatus),
    ):
        if name in data:
            if data[name] not in choices.values:
                fail(name, f"Choose one of: {', '.join(choices.values)}.")
            else:
                cleaned[name] = data[name]

    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _check_contact_rules(patient: Patient) -> None:
    """Rules across fields, checked on the record as it would be after the change."""
    errors: dict[str, list[str]] = {}
    if not patient.phone and not patient.email:
        errors["phone"] = ["Give a phone number or an email address so the clinic can reach them."]
    if patient.sms_consent and not patient.phone:
        errors.setdefault("sms_consent", []).append("Text messages need a phone number.")
    if patient.email_consent and not patient.email:
        errors.setdefault("email_consent", []).append("Email needs an email address.")
    if patient.preferred_channel == Channel.SMS and not patient.phone:
        errors.setdefault("preferred_channel", []).append("Text messages need a phone number.")
    if patient.preferred_channel == Channel.EMAIL and not patient.email and patient.phone:
        errors.setdefault("preferred_channel", []).append(
            "There is no email address; choose text messages or add an email address."
        )
    if errors:
        raise ValidationFailed(errors)


def _apply(actor: Actor, patient: Patient, cleaned: dict, today: date) -> list[str]:
    """Sets the cleaned fields on `patient`; returns the names of those that changed."""
    now = timezone.now()
    changed = []
    for name, value in cleaned.items():
        if getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    if "pregnancy_status" in changed:
        patient.pregnancy_recorded_on = today
    if "breastfeeding_status" in changed:
        patient.breastfeeding_recorded_on = today
    if "email_consent" in changed:
        patient.email_consent_at = now if patient.email_consent else None
    if "sms_consent" in changed:
        patient.sms_consent_at = now if patient.sms_consent else None
    patient.refresh_search_text()
    patient.updated_at = now
    return changed


def require_capability(actor: Actor, capability: Capability, what: str) -> None:
    if not actor.can(capability):
        raise Forbidden(f"Your role may not {what}.")


def register_patient(actor: Actor, data: dict) -> Patient:
    require_capability(actor, Capability.CHANGE_PATIENT, "register patients")
    if any(name in data for name in CLINICAL_STATUS_FIELDS):
        require_capability(
            actor, Capability.CHANGE_CLINICAL, "record pregnancy or breastfeeding status"
        )
    location = (
        data.get("preferred_location")
        if isinstance(data.get("preferred_location"), Location)
        else None
    )
    today = local_today(location)
    cleaned = clean_patient_fields(data, today=today)
    patient = Patient(organisation_id=actor.organisation_id)
    _apply(actor, patient, cleaned, today)
    _check_contact_rules(patient)
    with write_transaction():
        patient.save()
        audit.record_patient(actor, Action.CREATE, patient)
    return patient


ONLINE_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "email",
    "phone",
    "postal_code",
    "preferred_channel",
    "language",
)


def patient_for_online_booking(
    data: dict, *, today: date, organisation_id: int | None = None
) -> Patient:
    """The patient behind a public booking form: an existing record when the name, date of birth
    and the email or phone all match one, else a new unsaved record (saved, with its audit row,
    by `save_new_patient` inside the booking's transaction). Raises ValidationFailed per field."""
    fields = {k: data.get(k) for k in ONLINE_FIELDS}
    # Asking for texts is consent to texts about this booking.
    fields["sms_consent"] = fields.get("preferred_channel") == "sms"
    errors: dict[str, list[str]] = {}
    for name in ("email", "phone", "postal_code"):
        if fields.get(name) in (None, ""):
            errors[name] = [_("This field is required.")]
    try:
        cleaned = clean_patient_fields(
            {k: v for k, v in fields.items() if v not in (None, "")}, today=today
        )
    except ValidationFailed as failed:
        for name, messages in failed.fields.items():
            errors.setdefault(name, messages)
        cleaned = {}
    if errors:
        raise ValidationFailed(errors)
    known = Patient.objects.all()
    if organisation_id is not None:  # a clinic knows its own patients only (decision 0047)
        known = known.filter(organisation_id=organisation_id)
    match = (
        known.filter(birth_date=cleaned["birth_date"], family_sort=sort_key(cleaned["family_name"]))
        .filter(Q(email__iexact=cleaned["email"]) | Q(phone=cleaned["phone"]))
        .order_by("id")
        .first()
    )
    if match is not None:
        return match
    patient = Patient(
        organisation_id=organisation_id, email_consent=True, email_consent_at=timezone.now()
    )
    _apply(Actor(None, "anonymous", frozenset(), "online booking"), patient, cleaned, today)
    return patient


def remember_language(actor: Actor, patient: Patient, code: str | None) -> Patient:
    """The language a known patient chose on the booking form becomes her record's (her
    messages and forms follow it); call inside the booking's transaction. Nothing changes when
    it is hers already or not one we speak."""
    if code not in LANGUAGE_CODES or patient.language == code:
        return patient
    patient.language = code
    patient.updated_at = timezone.now()
    patient.save(update_fields=["language", "updated_at"])
    audit.record_patient(
        actor, Action.UPDATE, patient, detail={"fields": ["language"], "source": "online booking"}
    )
    return patient


def save_new_patient(actor: Actor, patient: Patient) -> Patient:
    """Saves a record built by `patient_for_online_booking`; call inside a transaction."""
    patient.save()
    audit.record_patient(actor, Action.CREATE, patient, detail={"source": "online booking"})
    return patient


def update_patient(actor: Actor, patient: Patient, data: dict) -> list[str]:
    """Changes the given fields; returns the names of the fields that changed."""
    require_capability(actor, Capability.CHANGE_PATIENT, "change patient records")
    if any(name in data for name in CLINICAL_STATUS_FIELDS):
        require_capability(
            actor, Capability.CHANGE_CLINICAL, "record pregnancy or breastfeeding status"
        )
    today = local_today(patient.preferred_location)
    cleaned = clean_patient_fields(data, today=today, partial=True)
    return _write(actor, patient, cleaned, today, checks=(_check_contact_rules,))


def _write(actor: Actor, patient: Patient, cleaned: dict, today: date, *, checks) -> list[str]:
    """Applies cleaned fields to the locked row, runs the cross-field `checks` on it, saves and
    logs what changed, in one transaction; returns the changed fields' names."""
    with write_transaction():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        changed = _apply(actor, locked, cleaned, today)
        for check in checks:
            check(locked)
        if changed:
            locked.save()
            # Field names only: the values are patient data and stay in the record itself.
            audit.record_patient(actor, Action.UPDATE, locked, detail={"fields": changed})
    patient.refresh_from_db()
    return changed


PREFERENCE_FIELDS = (
    "preferred_channel",
    "language",
    "email_consent",
    "sms_consent",
    "marketing_consent",
)


def update_own_preferences(actor: Actor, patient: Patient, data: dict) -> list[str]:
    """The patient's own choice, from the portal, of how the clinic reaches them: care messages
    by the channel chosen, marketing a separate yes or no. Checked as a staff change is, and the
    channel chosen must be one the patient allows and the clinic can use."""
    if not actor.is_patient or actor.patient_id != patient.pk:
        raise Forbidden("Patients change their own preferences.")
    today = local_today(patient.preferred_location)
    cleaned = clean_patient_fields(
        {name: data.get(name) for name in PREFERENCE_FIELDS}, today=today, partial=True
    )
    return _write(actor, patient, cleaned, today, checks=(_check_own_channel, _check_contact_rules))


def update_own_language(actor: Actor, patient: Patient, language: str) -> list[str]:
    """The patient's own choice of language (the portal's switch): her messages and documents
    are written in it from now on. Nothing else of her preferences is checked again."""
    if not actor.is_patient or actor.patient_id != patient.pk:
        raise Forbidden("Patients change their own preferences.")
    today = local_today(patient.preferred_location)
    cleaned = clean_patient_fields({"language": language}, today=today, partial=True)
    return _write(actor, patient, cleaned, today, checks=())


def _check_own_channel(patient: Patient) -> None:
    if patient.preferred_channel == Channel.SMS and not (patient.sms_consent and patient.phone):
        why = (
            _("To hear from us by text, allow text messages.")
            if patient.phone
            else _(
                "To hear from us by text, allow text messages and give us a mobile number at "
                "the desk."
            )
        )
        raise ValidationFailed({"preferred_channel": [why]})
    if patient.preferred_channel == Channel.EMAIL and not patient.email:
        raise ValidationFailed(
            {"preferred_channel": [_("We have no email address for you; ask the desk to add one.")]}
        )


def record_text_consent(
    actor: Actor, patient: Patient, allowed: bool, *, source: str, now=None
) -> bool:
    """The patient's own word by text (STOP or START to the clinic's number): her consent to
    texts turned off or on, dated, with its audit row and its change in her history. Call inside
    the caller's transaction (the text's). Returns whether anything changed."""
    now = now or timezone.now()
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.sms_consent == allowed:
        return False
    locked.sms_consent = allowed
    locked.sms_consent_at = now if allowed else None
    locked.updated_at = now
    locked._change_reason = source  # the history's reason for the change (simple-history)
    locked.save(update_fields=["sms_consent", "sms_consent_at", "updated_at"])
    audit.record_patient(
        actor, Action.UPDATE, locked, detail={"fields": ["sms_consent"], "source": source}
    )
    patient.sms_consent, patient.sms_consent_at = locked.sms_consent, locked.sms_consent_at
    return True


def open_patient(actor: Actor, public_id, *, action: str = "view") -> Patient:
    """The patient `actor` may see, with the read logged; 404 for anyone else."""
    patient = get_restricted_or_404(
        Patient.objects.select_related("preferred_location"), actor, action, public_id=public_id
    )
    if action == "view":
        audit.record_patient(actor, Action.READ, patient)
    return patient


def log_shown(actor: Actor, patient: Patient) -> None:
    """A page opened for a change (the edit form) shows the patient's details too: a read."""
    audit.record_patient(actor, Action.READ, patient)


def search_patients(actor: Actor, text: str, *, limit: int = SEARCH_LIMIT) -> list[Patient]:
    """Patients matching a name, phone, email or birth date; the disclosure is logged."""
    query = parse_query(text)
    if query.is_empty:
        return []
    qs = Patient.objects.restrict(actor, "view")
    if query.birth_date is not None:
        qs = qs.filter(birth_date=query.birth_date)
    selective = [t for t in query.terms if len(t) >= SELECTIVE_TERM_LENGTH]
    if selective:
        # Matched inside a subquery that needs only search_text: PostgreSQL answers it from the
        # trigram index, SQLite from a scan of the narrow search_text index instead of the table.
        matching = Patient.objects.all()
        for term in selective:
            matching = matching.filter(search_text__contains=term)
        ids = matching.values("id")
        if connection.vendor == "postgresql":
            # A LIMIT is a planner fence: without it PostgreSQL may walk the whole name index,
            # probing each patient, when a term is rarer than it guesses (180 ms, not 2 ms).
            # SQLite needs no fence, and with one it would scan the table instead of the index.
            ids = ids[:MATCH_FENCE]
        qs = qs.filter(id__in=ids)
    for term in query.terms:
        if term not in selective:
            # Short terms match most patients: walking the name order finds 25 soonest.
            qs = qs.filter(search_text__contains=term)
    results = list(
        qs.only(
            "public_id",
            "given_name",
            "family_name",
            "preferred_name",
            "birth_date",
            "phone",
            "email",
            "sex",
        ).order_by("family_sort", "given_sort", "id")[:limit]
    )
    audit.record(
        actor,
        Action.SEARCH,
        audit.Kind.PATIENT,
        detail={"results": [str(p.public_id) for p in results]},
    )
    return results


def attach_portal_account(patient: Patient, user) -> None:
    """The portal account made on the patient's first sign-in becomes theirs; a patient who has
    one already keeps it. Runs inside the caller's write."""
    Patient.objects.filter(pk=patient.pk, user__isnull=True).update(user=user)
