"""The one door to data: who is asking (an Actor) and `restrict(who, action)` on querysets.

Every model that holds patient or clinic data declares an AccessRule; views, the API and
services ask `Model.objects.restrict(actor, "view")` and get only what that person may see.
Objects outside the result are answered with 404, never 403, so their existence is not disclosed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404

from glabella.core.roles import Capability, capabilities_of

ANONYMOUS = "anonymous"
PATIENT = "patient"
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """A person (or the system) acting through one channel, from one address."""

    user: object | None
    role: str
    capabilities: frozenset[Capability]
    label: str
    channel: str = "web"
    ip: str | None = None
    staff: object | None = None
    patient_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff is not None

    @property
    def is_patient(self) -> bool:
        return self.patient_id is not None

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def saved_user(self):
        """The user to record as having acted (None for the system or a link holder)."""
        return self.user if getattr(self.user, "pk", None) else None


def link_actor(
    role: str, label: str, patient_id: int, ip: str | None = None, channel: str = "portal"
) -> Actor:
    """Whoever holds a signed link (to manage a booking, fill in forms, answer a check-in) acts
    as that patient, for what the link opens only."""
    return Actor(None, role, frozenset(), label, channel, ip, patient_id=patient_id)


def actor_for(user, *, channel: str = "web", ip: str | None = None) -> Actor:
    if user is None or not user.is_authenticated or not user.is_active:
        return Actor(None, ANONYMOUS, frozenset(), "anonymous", channel, ip)
    staff = _related_or_none(user, "staff")
    if staff is not None and staff.active:
        return Actor(
            user,
            staff.role,
            capabilities_of(
                staff.role, clinical_granted=staff.clinical_access_granted_at is not None
            ),
            f"{staff.full_name} <{user.get_username()}>",
            channel,
            ip,
            staff=staff,
        )
    patient = _related_or_none(user, "patient_record")
    if patient is not None:
        return Actor(
            user,
            PATIENT,
            frozenset(),
            f"patient <{user.get_username()}>",
            channel,
            ip,
            patient_id=patient.pk,
        )
    return Actor(user, ANONYMOUS, frozenset(), f"no role <{user.get_username()}>", channel, ip)


def system_actor(label: str) -> Actor:
    """The system itself, for management commands: may do everything, and is logged as such."""
    return Actor(None, SYSTEM, frozenset(Capability), label, "command")


def valid_ip(value: object) -> str | None:
    """The address in its canonical form, or None for anything that is not one (a zone index,
    a port, a name), so nothing malformed reaches the access log or the throttle."""
    if not isinstance(value, str) or "%" in value or len(value) > 45:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address of whoever sent the request: the one function every log, throttle and lockout
    asks. Behind `TRUSTED_PROXY_HOPS` proxies (USE_X_FORWARDED_FOR on), the entry the farthest
    trusted proxy appended to X-Forwarded-For, counted from the right: entries to its left were
    written by the client and are not believed. Anything malformed or missing: the connection's
    own address."""
    from django.conf import settings

    remote = valid_ip(request.META.get("REMOTE_ADDR"))
    hops = settings.TRUSTED_PROXY_HOPS if settings.USE_X_FORWARDED_FOR else 0
    if hops:
        entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(entries) >= hops:
            return valid_ip(entries[-hops]) or remote
    return remote


def actor_from_request(request, channel: str = "web") -> Actor:
    """The Actor for this request, computed once and kept on the request."""
    cached = getattr(request, "_glabella_actor", None)
    if cached is not None and cached.channel == channel:
        return cached
    actor = actor_for(getattr(request, "user", None), channel=channel, ip=client_ip(request))
    request._glabella_actor = actor
    return actor


def _related_or_none(user, name: str):
    try:
        return getattr(user, name)
    except Exception:  # RelatedObjectDoesNotExist differs per relation; all mean "none"
        return None


@dataclass(frozen=True)
class AccessRule:
    """Who may act on a model's rows.

    staff: action -> the capability a staff member needs for it (all rows of the clinic).
    patient_field: the lookup from a row to its patient's primary key; a signed-in patient may
    do `patient_actions` on their own rows only. public: actions anyone may do, signed in or not.
    """

    staff: dict[str, Capability]
    patient_field: str | None = None
    patient_actions: frozenset[str] = field(default_factory=lambda: frozenset({"view"}))
    public: frozenset[str] = field(default_factory=frozenset)

    def actions(self) -> set[str]:
        return set(self.staff) | set(self.patient_actions) | set(self.public)


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, who, action: str = "view"):
        actor = who if isinstance(who, Actor) else actor_for(who)
        rule: AccessRule = self.model.access_rule
        if action not in rule.actions():
            raise ValueError(f"{self.model.__name__} has no access rule for {action!r}")
        if action in rule.public:
            return self.all()
        capability = rule.staff.get(action)
        if capability is not None and actor.can(capability):
            return self.all()
        if actor.is_patient and rule.patient_field and action in rule.patient_actions:
            return self.filter(**{rule.patient_field: actor.patient_id})
        return self.none()


def get_restricted_or_404(queryset: RestrictedQuerySet, who, action: str = "view", **lookup):
    """The one object matching `lookup` that `who` may act on, or 404."""
    allowed = queryset.restrict(who, action)
    try:
        return allowed.get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        # A malformed id is answered like an unknown one.
        raise Http404 from None
