"""The public site's and the portal's services: page texts, the service-area check, the contact
inbox, signing patients in (an emailed one-time link or a password), their communication
preferences, and what the portal shows them of their own care.

Every write checks its input field by field (`ValidationFailed`, nothing written) and is logged;
public forms are throttled per email and per address (`core.throttle`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core import signing
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from glabella.clinic.areas import area_key
from glabella.clinic.models import Location
from glabella.clinic.services import locations_serving
from glabella.core import audit, lockout, phones, throttle
from glabella.core.access import Actor, client_ip
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, Throttled, ValidationFailed
from glabella.core.language import CODES as LANGUAGE_CODES
from glabella.core.language import current as current_language
from glabella.core.language import speaking
from glabella.core.roles import Capability
from glabella.core.text import CONTROL
from glabella.messaging.models import Channel
from glabella.messaging.outbox import queue_message
from glabella.patients.models import Patient
from glabella.patients.services import attach_portal_account
from glabella.portal import content
from glabella.portal.models import ContactMessage, SiteText

SIGN_IN_SALT = "glabella.portal.sign-in"
CONTROL_MESSAGE = gettext_noop("Remove the invisible control characters from this text.")


# ---------------------------------------------------------------- the public pages' words


def pages(language: str | None = None) -> dict[str, content.PageText]:
    """Every public page's text in force in `language` (the page's, by default): the clinic's
    newest saved version in that language, else ours in that language."""
    language = language or current_language()
    found = dict(content.defaults(language))
    newest = SiteText.objects.filter(language=language).order_by("slug", "-saved_at", "-id")
    seen = set()
    for row in newest.only("slug", "language", "title", "description", "body"):
        if row.slug in found and row.slug not in seen:
            seen.add(row.slug)
            found[row.slug] = _in_force(row)
    return found


def page(slug: str, language: str | None = None) -> content.PageText:
    language = language or current_language()
    row = SiteText.objects.filter(slug=slug, language=language).order_by("-saved_at", "-id").first()
    return _in_force(row) if row is not None else content.defaults(language)[slug]


def _in_force(row: SiteText) -> content.PageText:
    """A saved version as the page shows it (the menu's short name stays ours)."""
    nav = content.defaults(row.language)[row.slug].nav
    return content.PageText(row.slug, row.title, row.description, row.body, nav)


def save_page(
    actor: Actor, slug: str, data: dict, language: str = settings.LANGUAGE_CODE
) -> SiteText:
    """A new version of a public page's words in one language (the owner's; older versions are
    kept)."""
    if not actor.can(Capability.MANAGE_CLINIC):
        raise Forbidden("Only the clinic's owner changes the public pages.")
    if slug not in content.BY_SLUG:
        raise ValidationFailed({"slug": ["There is no such page."]})
    if language not in LANGUAGE_CODES:
        raise ValidationFailed({"language": ["Choose English or Spanish."]})
    errors: dict[str, list[str]] = {}
    cleaned = {}
    limits = {
        "title": content.TITLE_MAX,
        "description": content.DESCRIPTION_MAX,
        "body": content.BODY_MAX,
    }
    for name, limit in limits.items():
        value = str(data.get(name) or "").strip()
        if name != "body":
            value = " ".join(value.split())
        if not value:
            errors[name] = ["This field is required."]
        elif len(value) > limit:
            errors[name] = [f"Use at most {limit} characters (this has {len(value)})."]
        elif CONTROL.search(value):
            errors[name] = [CONTROL_MESSAGE]
        cleaned[name] = value
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        row = SiteText.objects.create(
            slug=slug, language=language, saved_by=actor.saved_user, **cleaned
        )
        audit.record(
            actor,
            audit.Action.UPDATE,
            audit.Kind.SITE_TEXT,
            slug,
            detail={"version": row.pk, "language": language},
        )
    return row


# ---------------------------------------------------------------- where we are


@dataclass(frozen=True)
class AreaAnswer:
    asked: str
    locations: list[Location]

    @property
    def served(self) -> bool:
        return bool(self.locations)


def check_area(text: str) -> AreaAnswer:
    """Whether the clinic serves a city or ZIP code, and from which locations."""
    asked = " ".join((text or "").split())
    if not asked:
        raise ValidationFailed({"area": [_("Type your city or your 5-digit ZIP code.")]})
    if len(asked) > 100 or CONTROL.search(asked) or area_key(asked) is None:
        raise ValidationFailed(
            {
                "area": [
                    _("Type a city name (such as Ventura) or a 5-digit ZIP code (such as 93001).")
                ]
            }
        )
    return AreaAnswer(asked, locations_serving(asked))


def public_locations(organisation_id: int | None = None):
    """The clinic's active locations: `organisation_id`'s (the request's) when given."""
    found = Location.objects.filter(active=True)
    if organisation_id is not None:
        found = found.filter(organisation_id=organisation_id)
    return (
        found.select_related("organisation")
        .prefetch_related("opening_hours", "service_areas")
        .order_by("name")
    )


# ---------------------------------------------------------------- the contact form


def _clean_email(value, errors: dict, field: str = "email") -> str:
    email = " ".join(str(value or "").split())
    if not email:
        errors[field] = [_("Enter your email address.")]
        return ""
    try:
        validate_email(email)
    except Exception:
        errors[field] = [_("Enter an email address like name@example.com.")]
    return email


def receive_contact(
    data: dict, *, ip: str | None, now: datetime | None = None, organisation_id: int | None = None
) -> ContactMessage:
    """A visitor's message for the staff inbox."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors["name"] = [_("Tell us your name.")]
    elif len(name) > 150:
        errors["name"] = [_("Use at most 150 characters.")]
    email = _clean_email(data.get("email"), errors)
    phone = ""
    if str(data.get("phone") or "").strip():
        try:
            phone = phones.to_e164(str(data["phone"]))
        except phones.InvalidPhone as exc:
            errors["phone"] = [str(exc)]
    message = str(data.get("message") or "").strip()
    if not message:
        errors["message"] = [_("Write your message.")]
    elif len(message) > 3000:
        errors["message"] = [
            _("Use at most 3,000 characters (this has %(count)s).") % {"count": f"{len(message):,}"}
        ]
    for field, value in (("name", name), ("message", message)):
        if CONTROL.search(value):
            errors[field] = [_(CONTROL_MESSAGE)]
    location = None
    if data.get("location"):
        location = public_locations(organisation_id).filter(slug=str(data["location"])).first()
        if location is None:
            errors["location"] = [_("Choose one of our locations.")]
    if errors:
        raise ValidationFailed(errors)
    throttle.check_public_form("contact", email=email, ip=ip, now=now)
    with write_transaction():
        return ContactMessage.objects.create(
            organisation_id=organisation_id,
            name=name,
            email=email,
            phone=phone,
            location=location,
            message=message,
            language=current_language(),
            received_at=now,
        )


def inbox(actor: Actor, *, handled: bool = False):
    rows = ContactMessage.objects.restrict(actor).select_related("location", "handled_by")
    return rows.filter(handled_at__isnull=not handled)


def mark_handled(actor: Actor, message: ContactMessage, now: datetime | None = None) -> None:
    if not actor.can(Capability.CHANGE_PATIENT):
        raise Forbidden("Only the front desk and clinicians answer messages.")
    with write_transaction():
        updated = ContactMessage.objects.filter(pk=message.pk, handled_at__isnull=True).update(
            handled_at=now or timezone.now(), handled_by=actor.saved_user
        )
        if updated:
            audit.record(actor, audit.Action.UPDATE, audit.Kind.CONTACT_MESSAGE, message.public_id)


# ---------------------------------------------------------------- signing in


def _state(patient: Patient) -> str:
    """What a sign-in link is bound to: it stops working once the patient signs in (the last
    sign-in changes) or changes the password."""
    user = patient.user
    seen = f"{user.last_login.isoformat() if user and user.last_login else '-'}:"
    seen += user.password if user else "-"
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def sign_in_token(patient: Patient) -> str:
    return signing.TimestampSigner(salt=SIGN_IN_SALT).sign(f"{patient.public_id}:{_state(patient)}")


def sign_in_url(patient: Patient) -> str:
    return settings.SITE_URL + reverse("portal:link", args=[sign_in_token(patient)])


def patients_with_email(email: str):
    return Patient.objects.filter(email__iexact=email.strip()).select_related("user")


def request_link(data: dict, *, ip: str | None, now: datetime | None = None) -> int:
    """Emails a one-time sign-in link to each patient on file with this email; says nothing
    about whether there were any (the page reads the same either way)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    email = _clean_email(data.get("email"), errors)
    if errors:
        raise ValidationFailed(errors)
    throttle.check_public_form("sign-in", email=email, ip=ip, now=now)
    minutes = settings.SIGN_IN_LINK_MINUTES
    sent = 0
    with write_transaction():
        for patient in patients_with_email(email):
            first = patient.preferred_name or patient.given_name
            with speaking(patient):  # her language, and the link to the portal in it
                subject = _("Your sign-in link")
                body = _(
                    "Hello %(name)s,\n\nHere is your link to sign in to the patient portal. It "
                    "works once, within %(minutes)s minutes:\n\n%(link)s\n\n"
                    "If you did not ask for it, you can ignore this email: nobody can sign in "
                    "without the link."
                ) % {"name": first, "minutes": minutes, "link": sign_in_url(patient)}
            queue_message(
                patient=patient,
                channel=Channel.EMAIL,
                to=patient.email,
                topic="sign_in_link",
                subject=subject,
                body=body,
                now=now,
            )
            sent += 1
    return sent


def read_link(token: str) -> Patient:
    """The patient a sign-in link names; BadSignature when it is forged, used or too old."""
    max_age = timedelta(minutes=settings.SIGN_IN_LINK_MINUTES)
    value = signing.TimestampSigner(salt=SIGN_IN_SALT).unsign(token, max_age=max_age)
    public_id, _sep, state = value.rpartition(":")
    patient = Patient.objects.filter(public_id=public_id).select_related("user").first()
    if patient is None or state != _state(patient):
        raise signing.BadSignature("this link has been used or replaced")
    return patient


def user_for(patient: Patient):
    """The patient's portal account, made on first sign-in by link."""
    if patient.user is not None:
        return patient.user
    User = get_user_model()
    username = patient.email.lower()
    if User.objects.filter(username=username).exists():
        username = f"patient-{patient.public_id}"
    with write_transaction():
        user = User(username=username, email=patient.email)
        user.set_unusable_password()
        user.save()
        attach_portal_account(patient, user)
    patient.refresh_from_db(fields=["user"])
    return patient.user


def password_sign_in(request, data: dict, *, now=None):
    """The user for an email and password, or a refusal on the password field: ValidationFailed
    for a wrong one, Throttled when the email or address is over the public forms' limit or
    axes has locked the account or the address (every failure is counted by axes, through the
    request it needs)."""
    errors: dict[str, list[str]] = {}
    email = _clean_email(data.get("email"), errors)
    password = str(data.get("password") or "")
    if not password:
        errors["password"] = [_("Enter your password, or choose to have a link emailed.")]
    if errors:
        raise ValidationFailed(errors)
    throttle.check_public_form("sign-in", email=email, ip=client_ip(request), now=now)
    for patient in patients_with_email(email):
        user = patient.user
        if user is not None and authenticate(request, username=user.username, password=password):
            return user
    if lockout.locked_out(request):
        raise Throttled(lockout.locked_message(), field="password")
    raise ValidationFailed(
        {
            "password": [
                _(
                    "That email and password do not match. Check them, or have a sign-in link "
                    "emailed to you instead."
                )
            ]
        }
    )


def set_password(actor: Actor, user, data: dict) -> None:
    """The patient chooses (or changes) a password, checked by the site's password rules."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    first, second = str(data.get("password") or ""), str(data.get("repeat") or "")
    errors: dict[str, list[str]] = {}
    if not first:
        errors["password"] = [_("Choose a password.")]
    else:
        try:
            validate_password(first, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if first and first != second:
        errors["repeat"] = [_("The two passwords differ.")]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        user.set_password(first)
        user.save(update_fields=["password"])
        audit.record(actor, audit.Action.UPDATE, audit.Kind.PORTAL_PASSWORD, user.pk)
