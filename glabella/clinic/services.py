"""Clinic look-ups that other apps build on: the local date at a location, who serves an area,
who is on call there (and who comes after them: the medical director, then the owner)."""

from dataclasses import dataclass
from datetime import date, time

from django.conf import settings
from django.db import transaction

from glabella.clinic.areas import area_key
from glabella.clinic.models import Location
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.models import StaffMember
from glabella.core.roles import CLINICAL_ROLES, Capability, Role


def locations_serving(city_or_zip: str, queryset=None) -> list[Location]:
    """The active locations that serve a city or ZIP code, by name.

    A clinic has a handful of locations, so each is asked `serves_key` on prefetched areas:
    the rule then lives in one place, in Python, where names are folded the same way.
    """
    key = area_key(city_or_zip)
    if key is None:
        return []
    locations = (queryset if queryset is not None else Location.objects.all()).filter(active=True)
    return [
        loc
        for loc in locations.prefetch_related("service_areas").order_by("name")
        if loc.serves_key(key)
    ]


def opening_hours_on(location: Location | None, day: date) -> list[tuple[time, time]]:
    """The location's opening intervals on a local date (none when closed or unknown)."""
    if location is None:
        return []
    return [(h.opens, h.closes) for h in location.opening_hours.all() if h.weekday == day.weekday()]


# ---------------------------------------------------------------- who is told of an urgent report


# The levels an alert climbs (aftercare's escalation names them the same way).
ON_CALL = "on_call"
BY_ROLE = {"medical_director": Role.MEDICAL_DIRECTOR, "owner": Role.OWNER}


@dataclass(frozen=True)
class Contact:
    """One person (or, from the ON_CALL_* settings, one address) an alert can reach."""

    name: str
    email: str
    phone: str
    staff: StaffMember | None = None

    @property
    def reachable(self) -> bool:
        return bool(self.email or self.phone)


def _contact(staff: StaffMember) -> Contact:
    return Contact(staff.full_name, staff.user.email or "", staff.mobile_phone or "", staff)


def _first_location(location: Location | None) -> Location | None:
    return location or Location.objects.filter(active=True).order_by("id").first()


def contacts(location: Location | None, level: str) -> list[Contact]:
    """Who an alert at `location` reaches at `level`, each with an email or a mobile number.

    On call: the location's on-call staff, and the clinic-wide ON_CALL_EMAILS / ON_CALL_PHONES.
    Medical director and owner: those who work at the location, else every active one."""
    location = _first_location(location)
    if level == ON_CALL:
        staff = location.on_call.filter(active=True).select_related("user") if location else []
        found = [_contact(s) for s in staff]
        found += [Contact("On-call email", address, "") for address in settings.ON_CALL_EMAILS]
        found += [Contact("On-call phone", "", number) for number in settings.ON_CALL_PHONES]
        return [c for c in found if c.reachable]
    role = BY_ROLE[level]
    everyone = StaffMember.objects.filter(active=True, role=role).select_related("user")
    if location is not None:  # the location's clinic's, never another clinic's (0047)
        everyone = everyone.filter(organisation_id=location.organisation_id)
    here = everyone.filter(locations=location) if location else everyone.none()
    chosen = list(here) or list(everyone)
    return [c for c in map(_contact, chosen) if c.reachable]


def locations_without_on_call() -> list[Location]:
    """Active locations where an urgent report would reach nobody on call."""
    if settings.ON_CALL_EMAILS or settings.ON_CALL_PHONES:
        return []
    covered = (
        StaffMember.objects.filter(active=True, on_call_at__isnull=False)
        .exclude(user__email="", mobile_phone="")
        .values_list("on_call_at", flat=True)
    )
    return list(Location.objects.filter(active=True).exclude(pk__in=covered).order_by("name"))


def may_set_on_call(actor: Actor) -> bool:
    return actor.can(Capability.MANAGE_CLINIC) or actor.role == Role.MEDICAL_DIRECTOR


def set_on_call(actor: Actor, location: Location, staff: list[StaffMember]) -> list[StaffMember]:
    """Who is on call at a location (the owner or the medical director decides): active
    clinicians, each with an email or a mobile number to be reached on."""
    if not may_set_on_call(actor):
        raise Forbidden("Only the owner or the medical director sets who is on call.")
    problems = []
    for person in staff:
        if not person.active:
            problems.append(f"{person.full_name} is no longer active.")
        elif person.role not in CLINICAL_ROLES:
            problems.append(f"{person.full_name} is not a clinician.")
        elif not (person.user.email or person.mobile_phone):
            problems.append(f"{person.full_name} has no email or mobile number to be reached on.")
    if problems:
        raise ValidationFailed({"on_call": problems})
    with transaction.atomic(durable=True):
        location.on_call.set(staff)
        audit.record(
            actor,
            audit.Action.UPDATE,
            audit.Kind.LOCATION_ON_CALL,
            location.public_id,
            detail={"on_call": [str(s.public_id) for s in staff]},
        )
    return staff
