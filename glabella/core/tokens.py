"""API tokens: issued for a staff member with a scope and an expiry, listed with their last use,
revoked; each act audited. The raw secret is returned once; only its digest is kept.

Scope: a list of capabilities. A token acts as its user with the capabilities both its scope and
the user's role hold today (`core.api` works that out on every request), so it never exceeds the
role, even after the role changes. A scope of only viewing capabilities is read-only: the API
refuses such a token any write.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from glabella.core import audit
from glabella.core.access import Actor, actor_for
from glabella.core.audit import Action, Kind
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from glabella.core.models import ApiToken, StaffMember
from glabella.core.roles import READ_CAPABILITIES, Capability

# The scope presets the page and the command offer.
READ = "read"
WRITE = "write"

CAPABILITY_WORDS = {
    Capability.VIEW_PATIENT: "See patients' details",
    Capability.CHANGE_PATIENT: "Change patients' details and book",
    Capability.VIEW_CLINICAL: "See clinical records",
    Capability.CHANGE_CLINICAL: "Change clinical records",
    Capability.VIEW_CLINIC: "See the clinic's set-up",
    Capability.MANAGE_CLINIC: "Manage the clinic's set-up",
    Capability.VIEW_AUDIT: "See the access log",
    Capability.SIGN_DECISION: "Sign candidacy decisions",
    Capability.SET_SCREENING_POLICY: "Set screening policies",
    Capability.MANAGE_CONSENT_FORMS: "Publish consent texts",
    Capability.MANAGE_STOCK: "Handle stock",
    Capability.CHART: "Chart treatments",
    Capability.SET_PROTOCOL: "Set house doses",
    Capability.GRANT_CLINICAL_ACCESS: "Grant the owner clinical access",
    Capability.TAKE_PAYMENT: "Check out and take payments",
    Capability.REFUND: "Give refunds",
    Capability.SET_PRICES: "Set prices and policies",
    Capability.VIEW_REVENUE: "See the money reports",
}


def holdable(staff: StaffMember) -> list[Capability]:
    """What a token for this person may hold: their role's capabilities today, in table order."""
    held = actor_for(staff.user).capabilities
    return [c for c in Capability if c in held]


def scope_for(staff: StaffMember, preset: str) -> list[str]:
    """The capabilities a preset names for this person ("read": only those that look)."""
    held = holdable(staff)
    if preset == READ:
        return [c.value for c in held if c in READ_CAPABILITIES]
    if preset == WRITE:
        return [c.value for c in held]
    raise ValueError(preset)


def is_read_only(scope) -> bool:
    return all(c in READ_CAPABILITIES for c in scope)


def issue(
    actor: Actor,
    staff: StaffMember | None,
    name: str,
    scope: list[str],
    days: int | None,
    *,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    if not actor.can(Capability.MANAGE_CLINIC):
        raise Forbidden("Only the clinic's owner issues API tokens.")
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    name, days = _name_and_days(name, days, errors, "Say what the token is for.")
    if staff is None or not staff.active or not staff.user.is_active:
        errors["staff"] = ["Choose a person whose account is active."]
    scope = list(dict.fromkeys(scope or []))
    if not scope:
        errors["scope"] = ["Choose at least one thing the token may do."]
    elif staff is not None and "staff" not in errors:
        allowed = {c.value for c in holdable(staff)}
        beyond = [c for c in scope if c not in allowed]
        if beyond:
            errors["scope"] = [
                f"{staff.full_name}'s role does not allow: "
                + ", ".join(_words(c) for c in beyond)
                + "."
            ]
    if "scope" not in errors:
        # Nor beyond the issuer's own role: the owner cannot lend themselves a clinician's reach.
        unheld = [c for c in scope if not actor.can(c)]
        if unheld:
            errors["scope"] = [
                "Your own role does not allow: " + ", ".join(_words(c) for c in unheld) + "."
            ]
    if errors:
        raise ValidationFailed(errors)
    expires_at = now + timedelta(days=days)
    with write_transaction():
        token, raw = ApiToken.issue(staff.user, name, scope=scope, expires_at=expires_at)
        audit.record(
            actor,
            Action.CREATE,
            Kind.API_TOKEN,
            token.public_id,
            detail={
                "for": str(staff.public_id),
                "name": name,
                "scope": sorted(scope),
                "expires_at": expires_at.isoformat(),
            },
        )
    return token, raw


def _name_and_days(name, days, errors: dict, missing: str) -> tuple[str, int]:
    """A token's name and life checked (errors added to `errors`), the default life filled in."""
    name = (name or "").strip()
    if not name:
        errors["name"] = [missing]
    elif len(name) > 100:
        errors["name"] = [_("Keep the name to 100 characters.")]
    longest = settings.API_TOKEN_MAX_DAYS
    if days is None:
        days = settings.API_TOKEN_DAYS
    if not isinstance(days, int) or not 1 <= days <= longest:
        errors["days"] = [_("A token lasts from 1 to %(days)d days.") % {"days": longest}]
    return name, days


def _words(capability: str) -> str:
    try:
        return CAPABILITY_WORDS.get(Capability(capability), "another permission").lower()
    except ValueError:
        return "an unknown permission"


def revoke(actor: Actor, token: ApiToken, *, now: datetime | None = None) -> None:
    if not actor.can(Capability.MANAGE_CLINIC):
        raise Forbidden("Only the clinic's owner revokes API tokens.")
    if token.revoked_at is not None:
        raise Conflict("This token was already revoked.")
    now = now or timezone.now()
    with write_transaction():
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=now)
        token.revoked_at = now
        audit.record(
            actor, Action.UPDATE, Kind.API_TOKEN, token.public_id, detail={"revoked": True}
        )


def listing(actor: Actor):
    if not actor.can(Capability.MANAGE_CLINIC):
        raise Forbidden("Only the clinic's owner sees API tokens.")
    # Staff tokens only: a patient's tokens for her own apps are hers (her portal lists them).
    return (
        ApiToken.objects.filter(user__staff__organisation_id=actor.organisation_id)
        .select_related("user", "user__staff")
        .order_by("-created_at")
    )


def scope_words(token: ApiToken) -> str:
    kind = "Read only" if is_read_only(token.scope) else "Read and write"
    return f"{kind}: " + ", ".join(_words(c) for c in token.scope)


def issue_for_patient(
    actor: Actor, name: str, days: int | None, *, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A token a patient makes for an app of her own (a health record app reading the FHIR
    API): it reads her records and nothing else, since a patient's actor holds no capability
    and the access door gives her only her own rows; it never writes."""
    if not actor.is_patient or actor.saved_user is None:
        raise Forbidden("Only a signed-in patient makes a token for her own records.")
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    name, days = _name_and_days(name, days, errors, _("Say which app the token is for."))
    if errors:
        raise ValidationFailed(errors)
    expires_at = now + timedelta(days=days)
    with write_transaction():
        token, raw = ApiToken.issue(actor.saved_user, name, scope=[], expires_at=expires_at)
        audit.record(
            actor,
            Action.CREATE,
            Kind.API_TOKEN,
            token.public_id,
            detail={"for": "self", "name": name, "expires_at": expires_at.isoformat()},
        )
    return token, raw


def _own_patient(actor: Actor) -> None:
    if not actor.is_patient or actor.saved_user is None:
        raise Forbidden("Only a signed-in patient sees the tokens for her own records.")


def listing_own(actor: Actor):
    """The tokens a patient made for her apps, newest first (revoked and expired ones too)."""
    _own_patient(actor)
    return ApiToken.objects.filter(user=actor.saved_user).order_by("-created_at", "-id")


def revoke_own(actor: Actor, token: ApiToken, *, now: datetime | None = None) -> ApiToken:
    """A patient revokes one of her own tokens; anyone else's is not found, as if it did not
    exist. Audited like the owner's revocation."""
    _own_patient(actor)
    if token is None or token.user_id != actor.saved_user.pk:
        raise NotFound(_("No such token of yours."))
    if token.revoked_at is not None:
        raise Conflict(_("This token was already revoked."))
    now = now or timezone.now()
    with write_transaction():
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=now)
        token.revoked_at = now
        audit.record(
            actor, Action.UPDATE, Kind.API_TOKEN, token.public_id, detail={"revoked": True}
        )
    return token
