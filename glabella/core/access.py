"""The one door to data: who is asking (an Actor) and `restrict(who, action)` on querysets.

Every model that holds patient or clinic data declares an AccessRule; views, the API and
services ask `Model.objects.restrict(actor, "view")` and get only what that person may see.
Objects outside the result are answered with 404, never 403, so their existence is not disclosed.

Several independent clinics (organisations) may share one deployment: each model also names the
lookup from a row to its organisation (`organisation_field`), and `restrict` keeps every actor
but the system to the rows of their own organisation (decision 0047).
"""

from __future__ import annotations

import contextvars
import ipaddress
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404

from glabella.core.roles import Capability, capabilities_of

ANONYMOUS = "anonymous"
PATIENT = "patient"
SYSTEM = "system"
# A model's `organisation_field` when its rows are the deployment's, shared by every organisation
# (published documents and clinical policy; decision 0047 lists them and why).
SHARED = None


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
    # The organisation (clinic) this actor belongs to, or whose public pages they are on.
    organisation_id: int | None = None

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
    as that patient, for what the link opens only (and within the patient's organisation)."""
    return Actor(
        None,
        role,
        frozenset(),
        label,
        channel,
        ip,
        patient_id=patient_id,
        organisation_id=_organisation_of_patient(patient_id),
    )


def _organisation_of_patient(patient_id) -> int | None:
    from django.apps import apps

    Patient = apps.get_model("patients", "Patient")
    return Patient.objects.filter(pk=patient_id).values_list("organisation_id", flat=True).first()


# The organisation a request (or a job's step) acts for: its brand is on what it sends and shows.
_acting_organisation: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "acting_organisation", default=None
)


def acting_organisation_id() -> int | None:
    return _acting_organisation.get()


# Set for a provider's signed callback (`for_every_clinic`): its queries span every clinic.
_every_clinic: contextvars.ContextVar[bool] = contextvars.ContextVar("every_clinic", default=False)


def set_acting_organisation(organisation_id: int | None) -> None:
    """Within an `acting_for` block only: changes what the rest of the block acts for."""
    _acting_organisation.set(organisation_id)


def span_every_clinic() -> None:
    """Within an `across_clinics` block only: the rest of it spans every clinic."""
    _every_clinic.set(True)


@contextmanager
def across_clinics(span: bool = True):
    """Within the block, queries of the clinic-scoped models span every clinic (or, with
    `span` False, keep to the acting one until `span_every_clinic`)."""
    token = _every_clinic.set(span)
    try:
        yield
    finally:
        _every_clinic.reset(token)


@contextmanager
def acting_for(organisation_id: int | None):
    """Within the block, brand and messages are those of `organisation_id`'s clinic."""
    token = _acting_organisation.set(organisation_id)
    try:
        yield
    finally:
        _acting_organisation.reset(token)


def for_every_clinic(view):
    """Marks a view that answers a provider's callback (Twilio, Stripe) for whichever clinic it
    concerns: signed by the provider, it looks its rows up across every clinic, as the system."""
    view.for_every_clinic = True
    return view


def sole_organisation_id() -> int | None:
    """The organisation of a one-clinic deployment; None when there are none or several."""
    from django.apps import apps

    Organisation = apps.get_model("clinic", "Organisation")
    ids = list(Organisation._base_manager.order_by("pk").values_list("pk", flat=True)[:2])
    return ids[0] if len(ids) == 1 else None


def fill_organisation(row, *, fallback_id: int | None = None) -> None:
    """Sets a new row's organisation when its creator did not: `fallback_id` (e.g. its
    patient's), else the organisation the request or job acts for, else the one clinic of a
    one-clinic deployment, created blank (for the owner to
    name in set-up) when there is none yet. With several clinics and none given, the row is left
    without one and the database refuses it: a multi-clinic path must always say which."""
    if row.organisation_id is not None:
        return
    if fallback_id is not None:
        row.organisation_id = fallback_id
        return
    from django.apps import apps

    Organisation = apps.get_model("clinic", "Organisation")
    row.organisation_id = acting_organisation_id() or sole_organisation_id()
    if row.organisation_id is None and not Organisation._base_manager.exists():
        row.organisation_id = Organisation._base_manager.create(name="").pk


def actor_for(
    user, *, channel: str = "web", ip: str | None = None, organisation_id: int | None = None
) -> Actor:
    """`organisation_id` is the request's (its host's) organisation: what an anonymous visitor
    sees; staff and patients always act within their own."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Actor(
            None, ANONYMOUS, frozenset(), "anonymous", channel, ip, organisation_id=organisation_id
        )
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
            organisation_id=staff.organisation_id,
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
            organisation_id=patient.organisation_id,
        )
    return Actor(
        user,
        ANONYMOUS,
        frozenset(),
        f"no role <{user.get_username()}>",
        channel,
        ip,
        organisation_id=organisation_id,
    )


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
    actor = actor_for(
        getattr(request, "user", None),
        channel=channel,
        ip=client_ip(request),
        organisation_id=getattr(request, "organisation_id", None),
    )
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
            return self.of_organisation(actor)
        capability = rule.staff.get(action)
        if capability is not None and actor.can(capability):
            return self.of_organisation(actor)
        if actor.is_patient and rule.patient_field and action in rule.patient_actions:
            return self.of_organisation(actor).filter(**{rule.patient_field: actor.patient_id})
        return self.none()

    def of_organisation(self, actor: Actor):
        """The rows of the actor's organisation: all of them for the system; for an actor whose
        organisation is unknown (a request no host names), the one clinic's when there is only
        one, else nothing. Rows the deployment shares (`SHARED`) are everyone's."""
        path = self.model.organisation_field
        if actor.role == SYSTEM or path is SHARED:
            return self.all()
        organisation_id = actor.organisation_id
        if organisation_id is None and not actor.is_staff:
            organisation_id = sole_organisation_id()
        if organisation_id is None:
            return self.none()
        return self.filter(**{path: organisation_id})


class OrganisationScopedQuerySet(RestrictedQuerySet):
    """The rows of the models that name their organisation themselves (a clinic, its locations,
    services, staff, patients, invoices, plans, messages...): within a request or a job's step
    acting for one organisation (`acting_for`), every query keeps to that organisation's rows,
    those that do not pass through `restrict` too; outside one (the worker, commands), all rows.
    The filter is added when a query is made or copied, so a query written when a module loads
    (a form's choices) keeps to the clinic of the request that uses it. Related objects reached
    through a foreign key are not filtered (Django's base manager)."""

    _scoped_for = None

    def _scoped(self):
        organisation_id = _acting_organisation.get()
        if (
            organisation_id is None
            or _every_clinic.get()
            or self._scoped_for == organisation_id
            or self.query.is_sliced
            or self.query.combinator
        ):
            return self
        self.query.add_q(models.Q(**{self.model.organisation_field: organisation_id}))
        self._scoped_for = organisation_id
        return self

    def _clone(self):
        copy = super()._clone()
        copy._scoped_for = self._scoped_for
        return copy._scoped()


class OrganisationScopedManager(models.Manager.from_queryset(OrganisationScopedQuerySet)):
    def get_queryset(self):
        return super().get_queryset()._scoped()


def get_restricted_or_404(queryset: RestrictedQuerySet, who, action: str = "view", **lookup):
    """The one object matching `lookup` that `who` may act on, or 404."""
    allowed = queryset.restrict(who, action)
    try:
        return allowed.get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        # A malformed id is answered like an unknown one.
        raise Http404 from None
