"""Scheduling as FHIR: Schedule (one per clinician per location), Slot (the free times online
booking offers), Appointment.

Schedules and slots are not rows. A Schedule is a clinician's post at a location (its id is the
PractitionerRole's, resources/clinic.py); its planning horizon runs from now to the furthest day
the services booked online there may be booked. A Slot is a free time worked out the way the
booking pages work it out (`scheduling.search.search_slots`, online rules: lead time, horizon,
buffers, rooms, opening hours, closed days): one per clinician, service and start. Its id says
all three, `<schedule id>.<service>.<YYYYMMDDHHMM in UTC>` (the service as the first eight hex
digits of its public id, to stay within FHIR's 64 characters), so reading it works the time out
again: a time that is no longer free (booked since, or passed) is not found (404), as a slot this
server never offered; only free slots exist here.

A Slot search needs a `start` range (a lower and an upper bound, at most 31 days apart) and one
of `schedule`, `service-type` or `location`; it is refused with an OperationOutcome otherwise.

Appointments are rows, read through their access door (a patient's token sees only hers).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from django.db.models import (
    DateTimeField,
    F,
    OuterRef,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from glabella.clinic.models import Service
from glabella.core import bounds
from glabella.core.audit import Kind
from glabella.fhir import codes, server
from glabella.fhir.registry import ResourceType, SearchParam, register
from glabella.fhir.resources.clinic import Post, filtered_posts, find_post, reference_id
from glabella.fhir.server import FhirError, instant
from glabella.scheduling import search as slot_search
from glabella.scheduling.models import Appointment, Status

SERVICE_SYSTEM = codes.local_system("service")
MOST_SLOT_DAYS = 31
SLOTS_PER_DAY = 96  # a start every 15 minutes, all day: no search page is cut short
STAMP = "%Y%m%d%H%M"

# glabella's appointment states as FHIR's.
STATUS = {
    Status.BOOKED: "booked",
    Status.CHECKED_IN: "checked-in",
    Status.COMPLETED: "fulfilled",
    Status.CANCELLED_BY_PATIENT: "cancelled",
    Status.CANCELLED_BY_CLINIC: "cancelled",
    Status.NO_SHOW: "noshow",
}
CANCELLATION = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
CANCELLED_BY = {
    Status.CANCELLED_BY_PATIENT: ("pat", "Patient"),
    Status.CANCELLED_BY_CLINIC: ("prov", "Provider"),
}
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"


def service_type(service: Service) -> dict:
    return {
        "coding": [{"system": SERVICE_SYSTEM, "code": service.slug, "display": service.name}],
        "text": service.name,
    }


def service_code(service: Service) -> str:
    return service.public_id.hex[:8]


def online_services() -> list[Service]:
    return list(Service.objects.filter(active=True, bookable_online=True).order_by("name"))


def performs(service: Service, post: Post, day) -> bool:
    return service.can_be_performed_by(post.staff, day)


def _services_of(post: Post, services: list[Service], now) -> list[Service]:
    today = now.astimezone(post.location.zone).date()
    return [s for s in services if performs(s, post, today)]


# -- Schedule --------------------------------------------------------------------------------


def build_schedule(post: Post, services: list[Service], now: datetime) -> dict:
    staff, location = post.staff, post.location
    resource = {
        "resourceType": "Schedule",
        "id": post.id,
        "active": True,
        "actor": [
            {**codes.reference("PractitionerRole", post.id)},
            {**codes.reference("Practitioner", staff.public_id), "display": staff.full_name},
            {**codes.reference("Location", location.public_id), "display": location.name},
        ],
        "comment": f"{staff.full_name} at {location.name}: the times booked online.",
    }
    offered = _services_of(post, services, now)
    if offered:
        resource["serviceType"] = [service_type(s) for s in offered]
        furthest = max(s.horizon_days for s in offered)
        resource["planningHorizon"] = {
            "start": instant(now),
            "end": instant(now + timedelta(days=furthest)),
        }
    return resource


def _find_schedule(actor, resource_id: str):
    post = find_post(actor, resource_id)
    return None if post is None else build_schedule(post, online_services(), timezone.now())


def _list_schedules(actor, params: dict) -> list[dict]:
    params = dict(params)
    for value in params.pop("actor", []):
        kind, _, wanted = value.strip().rpartition("/")
        if kind not in ("Practitioner", "Location", "PractitionerRole"):
            raise FhirError(
                400,
                "invalid",
                "actor takes Practitioner/<id>, PractitionerRole/<id> or Location/<id>.",
                parameter="actor",
            )
        key = {"Practitioner": "practitioner", "Location": "location"}.get(kind, "_id")
        params.setdefault(key, []).append(wanted)
    found = filtered_posts(actor, params)
    services, now = online_services(), timezone.now()
    wanted_services = _service_filter(params.get("service-type", []), services)
    schedules = [build_schedule(p, services, now) for p in found]
    if wanted_services is not None:
        codes_wanted = {s.slug for s in wanted_services}
        schedules = [
            s
            for s in schedules
            if any(t["coding"][0]["code"] in codes_wanted for t in s.get("serviceType", []))
        ]
    for value in params.get("active", []):
        if value not in ("true", "false"):
            raise FhirError(400, "invalid", "active takes true or false.", parameter="active")
        if value == "false":
            schedules = []  # only a clinician's active post has a schedule
    return schedules


def _listed(rows, value):  # pragma: no cover - a listing type's searches are its listing's
    raise TypeError("Schedule and Slot are searched by their listing.")


register(
    ResourceType(
        name="Schedule",
        build=lambda post: build_schedule(post, online_services(), timezone.now()),
        find=_find_schedule,
        listing=_list_schedules,
        searches={
            "actor": SearchParam(
                "reference",
                "Practitioner/<id>, PractitionerRole/<id> or Location/<id>: whose schedules.",
                _listed,
            ),
            "service-type": SearchParam(
                "token", f"A service booked online ({SERVICE_SYSTEM}|<code>).", _listed
            ),
            "active": SearchParam("token", "true: every schedule here is active.", _listed),
        },
        documentation="A clinician's schedule at a location: the services booked online there.",
    )
)


# -- Slot ------------------------------------------------------------------------------------


def slot_id(post: Post, service: Service, start: datetime) -> str:
    return f"{post.id}.{service_code(service)}.{start.astimezone(UTC).strftime(STAMP)}"


def build_slot(post: Post, service: Service, start: datetime, end: datetime) -> dict:
    return {
        "resourceType": "Slot",
        "id": slot_id(post, service, start),
        "serviceType": [service_type(service)],
        "schedule": codes.reference("Schedule", post.id),
        "status": "free",
        "start": instant(start),
        "end": instant(end),
    }


def _service_filter(values: list[str], services: list[Service]) -> list[Service] | None:
    """The services every `service-type` value names (system|code, or the code), or None."""
    if not values:
        return None
    chosen = services
    for value in values:
        wanted = set()
        for token in value.split(","):
            system, bar, code = token.strip().rpartition("|")
            if bar and system and system != SERVICE_SYSTEM:
                raise FhirError(
                    400,
                    "invalid",
                    f"service-type takes codes of {SERVICE_SYSTEM}.",
                    parameter="service-type",
                )
            wanted.add(code)
        chosen = [s for s in chosen if s.slug in wanted]
    return chosen


def _start_range(values: list[str]) -> tuple[datetime, datetime]:
    """The [from, until) a Slot search's `start` values bound, at most 31 days long."""
    lower = upper = None
    needs = (
        "A Slot search needs start twice, a lower and an upper bound at most 31 days apart, "
        "e.g. start=ge2026-03-02&start=lt2026-03-09."
    )
    for value in values:
        prefix = value[:2]
        if prefix not in ("ge", "gt", "le", "lt"):
            raise FhirError(400, "invalid", needs, parameter="start")
        # The server's own reading of a date or instant (the same words for a bad one).
        condition = server._when("Slot", Appointment, "starts_at", "start", value)
        moment = condition.children[0][1]  # ge, gt: the first start; le, lt: the first after
        if prefix in ("ge", "gt"):
            lower = moment if lower is None else max(lower, moment)
        else:
            upper = moment if upper is None else min(upper, moment)
    if lower is None or upper is None:
        raise FhirError(400, "invalid", needs, parameter="start")
    if upper - lower > timedelta(days=MOST_SLOT_DAYS):
        raise FhirError(
            400,
            "too-costly",
            f"A Slot search covers at most {MOST_SLOT_DAYS} days; ask for a shorter range.",
            parameter="start",
        )
    return lower, upper


def free_slots(posts: list[Post], services: list[Service], lower, upper, now) -> list[dict]:
    """The free slots of these posts for these services starting in [lower, upper), by start."""
    found = []
    by_location: dict[int, list[Post]] = {}
    for post in posts:
        by_location.setdefault(post.location.pk, []).append(post)
    for location_posts in by_location.values():
        location = location_posts[0].location
        staff = {p.staff.pk: p for p in location_posts}
        first_day = lower.astimezone(location.zone).date()
        last_day = (upper - timedelta(microseconds=1)).astimezone(location.zone).date()
        days = (last_day - first_day).days + 1
        for service in services:
            if not any(performs(service, p, first_day) for p in location_posts):
                continue
            provider = location_posts[0].staff if len(location_posts) == 1 else None
            for slot in slot_search.search_slots(
                service,
                [location],
                first_day=first_day,
                last_day=last_day,
                now=now,
                provider=provider,
                limit=days * SLOTS_PER_DAY * max(len(location_posts), 1),
                one_per_time=False,
            ):
                post = staff.get(slot.provider_id)
                if post is not None and lower <= slot.start < upper:
                    found.append((slot.start, post.id, service.slug, post, service, slot))
    found.sort(key=lambda row: row[:3])
    return [build_slot(post, service, slot.start, slot.end) for *_, post, service, slot in found]


def _list_slots(actor, params: dict) -> list[dict]:
    if not any(params.get(name) for name in ("schedule", "service-type", "location")):
        raise FhirError(
            400,
            "invalid",
            "A Slot search needs a schedule, a service-type or a location.",
            parameter="schedule",
        )
    lower, upper = _start_range(params.get("start", []))
    for value in params.get("status", []):
        if any(
            s.strip()
            not in ("free", "busy", "busy-unavailable", "busy-tentative", "entered-in-error")
            for s in value.split(",")
        ):
            raise FhirError(
                400,
                "invalid",
                "status takes free (only free slots are published).",
                parameter="status",
            )
        if "free" not in {s.strip() for s in value.split(",")}:
            return []
    post_params = {"location": params.get("location", [])}
    post_params["_id"] = [reference_id(v, "Schedule") for v in params.get("schedule", [])]
    posts = filtered_posts(actor, post_params)
    services = online_services()
    chosen = _service_filter(params.get("service-type", []), services)
    return free_slots(posts, services if chosen is None else chosen, lower, upper, timezone.now())


def _find_slot(actor, resource_id: str):
    parts = resource_id.split(".")
    if len(parts) != 3:
        return None
    post_id, code, stamp = parts
    try:
        start = datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
        bounds.parse_day(start.date().isoformat())
    except ValueError:
        return None
    post = find_post(actor, post_id)
    service = next((s for s in online_services() if service_code(s) == code), None)
    if post is None or service is None:
        return None
    found = free_slots([post], [service], start, start + timedelta(minutes=1), timezone.now())
    return found[0] if found else None


register(
    ResourceType(
        name="Slot",
        build=lambda slot: slot,
        find=_find_slot,
        listing=_list_slots,
        exported=False,  # worked out for a range asked for, not a record the clinic keeps
        searches={
            "schedule": SearchParam("reference", "Schedule/<id>: its free times.", _listed),
            "service-type": SearchParam(
                "token", f"The service ({SERVICE_SYSTEM}|<code>).", _listed
            ),
            "location": SearchParam("reference", "Location/<id>: free times there.", _listed),
            "start": SearchParam(
                "date",
                "Required twice: from (ge, gt) and until (lt, le), at most 31 days apart.",
                _listed,
            ),
            "status": SearchParam("token", "free (only free slots are published).", _listed),
        },
        documentation=(
            "The free times booked online, one per clinician, service and start; searched by "
            "schedule, service or location within a start range of at most 31 days."
        ),
    )
)


# -- Appointment -----------------------------------------------------------------------------


def build_appointment(appointment: Appointment) -> dict:
    status = STATUS.get(appointment.status, "booked")
    patient_status = "declined" if appointment.status == Status.CANCELLED_BY_PATIENT else "accepted"
    resource = {
        "resourceType": "Appointment",
        "id": str(appointment.public_id),
        "status": status,
        "serviceType": [service_type(appointment.service)],
        "description": appointment.service.name,
        "start": instant(appointment.starts_at),
        "end": instant(appointment.ends_at),
        "minutesDuration": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
        "created": instant(appointment.booked_at),
        "participant": [
            {
                "actor": {
                    **codes.reference("Patient", appointment.patient.public_id),
                    "display": appointment.patient.full_name,
                },
                "required": "required",
                "status": patient_status,
            },
            {
                "type": [
                    {
                        "coding": [
                            {
                                "system": PARTICIPATION,
                                "code": "PPRF",
                                "display": "primary performer",
                            }
                        ]
                    }
                ],
                "actor": {
                    **codes.reference("Practitioner", appointment.provider.public_id),
                    "display": appointment.provider.full_name,
                },
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": {
                    **codes.reference("Location", appointment.location.public_id),
                    "display": appointment.location.name,
                },
                "required": "required",
                "status": "accepted",
            },
        ],
    }
    if appointment.status in CANCELLED_BY:
        code, display = CANCELLED_BY[appointment.status]
        resource["cancelationReason"] = {
            "coding": [{"system": CANCELLATION, "code": code, "display": display}]
        }
    return resource


def _last_changed():
    """When an appointment last changed: its latest history row (every change through the
    services writes one), else the latest of its own times."""
    history = (
        Appointment.history.model.objects.filter(id=OuterRef("pk"))
        .order_by("-history_date")
        .values("history_date")[:1]
    )
    booked = F("booked_at")
    return Greatest(
        Coalesce(Subquery(history, output_field=DateTimeField()), booked),
        booked,
        Coalesce(F("checked_in_at"), booked),
        Coalesce(F("completed_at"), booked),
        Coalesce(F("cancelled_at"), booked),
        output_field=DateTimeField(),
    )


def _appointments(actor):
    return (
        Appointment.objects.restrict(actor, "view")
        .select_related("patient", "provider", "location", "service")
        .annotate(last_changed=_last_changed())
    )


def _by_status(rows, value: str):
    wanted = {v.strip() for v in value.split(",")}
    unknown = wanted - set(STATUS.values())
    if unknown:
        raise ValueError(
            "status takes " + ", ".join(sorted(set(STATUS.values()))) + " (comma-separated)."
        )
    return rows.filter(status__in=[k for k, v in STATUS.items() if v in wanted])


def _by_reference(kind: str, lookup: str):
    def apply(rows, value: str):
        wanted = reference_id(value, kind)
        try:
            uuid.UUID(wanted)
        except ValueError:
            raise ValueError(f"{kind.lower()} takes {kind}/<id>.") from None
        return rows.filter(**{lookup: wanted})

    return apply


register(
    ResourceType(
        name="Appointment",
        build=build_appointment,
        rows=_appointments,
        audit_kind=Kind.APPOINTMENT,
        patient="patient",
        date="starts_at",
        updated="last_changed",  # annotated by _appointments
        searches={
            "status": SearchParam(
                "token", "booked, checked-in, fulfilled, cancelled or noshow.", _by_status
            ),
            "practitioner": SearchParam(
                "reference",
                "Practitioner/<id>: with whom.",
                _by_reference("Practitioner", "provider__public_id"),
            ),
            "location": SearchParam(
                "reference",
                "Location/<id>: where.",
                _by_reference("Location", "location__public_id"),
            ),
        },
        documentation="Visits: when, what, with whom, where, and their state.",
    )
)
