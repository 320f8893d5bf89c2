"""/api/v1/scheduling: availability search, book, reschedule, cancel, day actions, list.

Availability is public (it is what the booking page shows). Booking needs staff, or the patient
booking for themselves. A POST that carries an `Idempotency-Key` header is answered once: a retry
with the same key and body gets the first answer again, never a second appointment.
"""

from datetime import date, datetime, timedelta
from typing import Annotated
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from glabella.clinic.models import Location, Room, Service
from glabella.clinic.services import locations_serving
from glabella.core.access import get_restricted_or_404
from glabella.core.api import AUTH, api_actor, requires
from glabella.core.audit import Action, Kind, record_patient
from glabella.core.bounds import Day, Instant
from glabella.core.errors import ValidationFailed
from glabella.core.models import StaffMember
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.scheduling import bookings, search, treat_now, waitlist
from glabella.scheduling.idempotency import IdempotencyKey, idempotent
from glabella.scheduling.models import Appointment

router = Router(tags=["scheduling"])
MAX_RANGE_DAYS = search.MAX_SEARCH_DAYS


class Strict(Schema):
    model_config = {"extra": "forbid"}


class SlotOut(Schema):
    start: datetime
    end: datetime
    provider: UUID
    provider_name: str
    location: str = Field(description="The location's slug")
    room: str | None


class AvailabilityOut(Schema):
    service: str
    locations: list[str]
    slots: list[SlotOut]
    next_after: datetime | None = Field(
        description="Pass as `after` for the next page; null when this page was the last."
    )


class AppointmentOut(Schema):
    id: UUID
    status: str
    start: datetime
    end: datetime
    local_start: str = Field(description="Wall-clock time at the location, with its offset")
    service: str
    location: str
    provider: UUID
    provider_name: str
    patient: UUID
    room: str | None
    times_rescheduled: int

    @staticmethod
    def of(a: Appointment) -> dict:
        return {
            "id": a.public_id,
            "status": a.status,
            "start": a.starts_at,
            "end": a.ends_at,
            "local_start": a.local_start.isoformat(),
            "service": a.service.slug,
            "location": a.location.slug,
            "provider": a.provider.public_id,
            "provider_name": a.provider.full_name,
            "patient": a.patient.public_id,
            "room": a.room.name if a.room else None,
            "times_rescheduled": a.times_rescheduled,
        }


class BookIn(Strict):
    service: str = Field(max_length=50, description="Service slug, e.g. consultation")
    location: str = Field(max_length=50, description="Location slug")
    start: Instant = Field(description="With its offset, e.g. 2026-12-01T10:00:00-08:00")
    patient: UUID
    provider: UUID | None = None
    note: str = Field("", max_length=500)


class MoveIn(Strict):
    start: Instant
    provider: UUID | None = None


class WaitlistIn(Strict):
    patient: UUID
    service: str = Field(max_length=50)
    location: str = Field(max_length=50)
    earliest: Day
    latest: Day
    provider: UUID | None = None


class WaitlistOut(Schema):
    id: UUID = Field(alias="public_id")
    state: str
    earliest: date
    latest: date


class CancelIn(Strict):
    reason: str = Field("", max_length=300)
    patient_called: bool = Field(
        False, description="Staff only: the patient asked for it (a patient's cancellation)."
    )


def _service(slug: str, field: str = "service") -> Service:
    found = Service.objects.filter(slug=slug, active=True).first()
    if found is None:
        raise ValidationFailed({field: [f"No service is called {slug!r}."]})
    return found


def _location(slug: str) -> Location:
    found = Location.objects.filter(slug=slug, active=True).first()
    if found is None:
        raise ValidationFailed({"location": [f"No location is called {slug!r}."]})
    return found


def _provider(public_id: UUID | None) -> StaffMember | None:
    if public_id is None:
        return None
    found = StaffMember.objects.filter(public_id=public_id, active=True).first()
    if found is None:
        raise ValidationFailed({"provider": ["No provider has this id."]})
    return found


def _slots_out(slots, locations) -> list[dict]:
    by_id = {loc.pk: loc for loc in locations}
    staff = {s.pk: s for s in StaffMember.objects.filter(pk__in={x.provider_id for x in slots})}
    rooms = dict(Room.objects.filter(pk__in={x.room_id for x in slots}).values_list("pk", "name"))
    return [
        {
            "start": s.start,
            "end": s.end,
            "provider": staff[s.provider_id].public_id,
            "provider_name": staff[s.provider_id].full_name,
            "location": by_id[s.location_id].slug,
            "room": rooms.get(s.room_id),
        }
        for s in slots
    ]


@router.get(
    "/availability", response=AvailabilityOut, auth=None, summary="Free times for a service"
)
def availability(
    request: HttpRequest,
    service: Annotated[str, Query(..., max_length=50)],
    location: Annotated[str | None, Query(max_length=50)] = None,
    area: Annotated[str | None, Query(max_length=100, description="A city or ZIP code")] = None,
    provider: UUID | None = None,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Day | None = None,
    after: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=search.MAX_PAGE)] = 20,
):
    """Free times across one location, or every location serving a city or ZIP code, for any
    provider or a chosen one, over a date range, a page at a time."""
    actor = api_actor(request)
    svc = _service(service)
    online = not actor.can(Capability.CHANGE_PATIENT)
    if online and not svc.bookable_online:
        raise ValidationFailed({"service": ["This service is booked by the clinic."]})
    if location:
        locations = [_location(location)]
    elif area:
        locations = locations_serving(area)
        if not locations:
            raise ValidationFailed({"area": [f"None of our clinics serves {area!r}."]})
    else:
        raise ValidationFailed({"location": ["Give a location, or a city or ZIP code as area."]})
    now = timezone.now()
    today = min(now.astimezone(loc.zone).date() for loc in locations)
    first = from_ or today
    last = to or first + timedelta(days=60)
    errors = {}
    if last < first:
        errors["to"] = ["The end of the range is before its start."]
    elif (last - first).days > MAX_RANGE_DAYS:
        errors["to"] = [f"Search at most {MAX_RANGE_DAYS} days at a time."]
    if after is not None and after.tzinfo is None:
        errors["after"] = ["Give `after` with its offset."]
    if errors:
        raise ValidationFailed(errors)
    found = search.search_slots(
        svc,
        locations,
        first_day=max(first, today),
        last_day=last,
        now=now,
        provider=_provider(provider),
        limit=limit,
        after=after,
        online=online,
    )
    return {
        "service": svc.slug,
        "locations": [loc.slug for loc in locations],
        "slots": _slots_out(found, locations),
        "next_after": found[-1].start if len(found) == limit else None,
    }


# ---------------------------------------------------------------- appointments


def _open(request, public_id: UUID, action: str = "view") -> Appointment:
    return get_restricted_or_404(
        Appointment.objects.select_related("location", "service", "provider", "patient", "room"),
        api_actor(request),
        action,
        public_id=public_id,
    )


@router.post(
    "/appointments",
    response={201: AppointmentOut},
    auth=AUTH,
    summary="Book an appointment",
)
def book(request: HttpRequest, payload: BookIn, idempotency_key: IdempotencyKey = None):
    actor = api_actor(request)

    def run():
        patient = get_restricted_or_404(Patient.objects, actor, "view", public_id=payload.patient)
        source = Appointment.Source.API if actor.is_staff else Appointment.Source.PORTAL
        appointment = bookings.book(
            actor,
            service=_service(payload.service),
            location=_location(payload.location),
            start=payload.start,
            patient=patient,
            provider=_provider(payload.provider),
            source=source,
            note=payload.note,
        )
        return 201, AppointmentOut.of(appointment)

    return idempotent(request, run)


@router.get("/appointments", response=list[AppointmentOut], auth=AUTH, summary="Appointments")
def list_appointments(
    request: HttpRequest,
    location: Annotated[str | None, Query(max_length=50)] = None,
    patient: UUID | None = None,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Day | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    """Appointments the caller may see (a patient: their own), in start order."""
    actor = api_actor(request)
    qs = Appointment.objects.restrict(actor).select_related(
        "location", "service", "provider", "patient", "room"
    )
    if location:
        qs = qs.filter(location=_location(location))
    if patient:
        qs = qs.filter(patient__public_id=patient)
    if from_:
        qs = qs.filter(starts_at__date__gte=from_)
    if to:
        if from_ and to < from_:
            raise ValidationFailed({"to": ["The end of the range is before its start."]})
        qs = qs.filter(starts_at__date__lte=to)
    items = list(qs.order_by("starts_at")[:limit])
    for p in {a.patient for a in items}:
        record_patient(actor, Action.READ, p, object_type=Kind.APPOINTMENT_LIST)
    return [AppointmentOut.of(a) for a in items]


@router.get("/appointments/{public_id}", response=AppointmentOut, auth=AUTH, summary="One")
def read_appointment(request: HttpRequest, public_id: UUID):
    appointment = _open(request, public_id)
    record_patient(
        api_actor(request),
        Action.READ,
        appointment.patient,
        object_type=Kind.APPOINTMENT,
        object_id=appointment.public_id,
    )
    return AppointmentOut.of(appointment)


@router.post(
    "/appointments/{public_id}/reschedule", response=AppointmentOut, auth=AUTH, summary="Move"
)
def reschedule(
    request: HttpRequest, public_id: UUID, payload: MoveIn, idempotency_key: IdempotencyKey = None
):
    appointment = _open(request, public_id, "change")

    def run():
        moved = bookings.reschedule(
            api_actor(request),
            appointment,
            start=payload.start,
            provider=_provider(payload.provider),
        )
        return 200, AppointmentOut.of(moved)

    return idempotent(request, run)


@router.post("/appointments/{public_id}/cancel", response=AppointmentOut, auth=AUTH)
def cancel(request: HttpRequest, public_id: UUID, payload: CancelIn):
    actor = api_actor(request)
    appointment = _open(request, public_id, "change")
    if payload.patient_called:
        done = bookings.cancel_for_patient(actor, appointment, reason=payload.reason)
    else:
        done = bookings.cancel(actor, appointment, reason=payload.reason)
    return AppointmentOut.of(_open(request, done.public_id))


def _day_action(request, public_id, handler):
    appointment = _open(request, public_id, "change")
    handler(api_actor(request), appointment)
    return AppointmentOut.of(_open(request, public_id))


@router.post("/appointments/{public_id}/check-in", response=AppointmentOut, auth=AUTH)
def check_in(request: HttpRequest, public_id: UUID):
    return _day_action(request, public_id, bookings.check_in)


@router.post("/appointments/{public_id}/complete", response=AppointmentOut, auth=AUTH)
def complete(request: HttpRequest, public_id: UUID):
    return _day_action(request, public_id, bookings.complete)


@router.post("/appointments/{public_id}/no-show", response=AppointmentOut, auth=AUTH)
def no_show(request: HttpRequest, public_id: UUID):
    return _day_action(request, public_id, bookings.mark_no_show)


@router.post("/waitlist", response={201: WaitlistOut}, auth=AUTH, summary="Join the waitlist")
def join_waitlist(request: HttpRequest, payload: WaitlistIn):
    """The patient is offered the first matching time that frees up, in the order they joined."""
    actor = api_actor(request)
    patient = get_restricted_or_404(Patient.objects, actor, "view", public_id=payload.patient)
    entry = waitlist.join_waitlist(
        actor,
        patient=patient,
        service=_service(payload.service),
        location=_location(payload.location),
        earliest=payload.earliest,
        latest=payload.latest,
        provider=_provider(payload.provider),
    )
    return Status(201, entry)


class TreatNowIn(Strict):
    service: str = Field(max_length=50, description="The treatment's service slug")


@router.post(
    "/appointments/{public_id}/treat-now",
    response={201: AppointmentOut},
    auth=requires(Capability.CHANGE_PATIENT),  # 403 before the body is read
    summary="Treat in this visit",
)
def treat_in_visit(request: HttpRequest, public_id: UUID, payload: TreatNowIn):
    """A consultation during which a candidacy decision was signed goes on as the treatment: a
    new appointment from the consultation's end, same provider and patient, checked in; the
    consultation completed. The same refusals as the staff page's (422), 409 when taken."""
    consultation = _open(request, public_id, "change")
    service = Service.objects.filter(slug=payload.service, active=True).first()
    treatment = treat_now.treat_now(api_actor(request), consultation, service=service)
    return Status(201, AppointmentOut.of(_open(request, treatment.public_id)))
