"""/api/v1/clinic: locations (hours, areas served), the service-area check, services, rooms, staff.

Locations, the area check and the service catalog are public (they are what the clinic's website
shows); rooms and staff are for signed-in staff.
"""

from datetime import date, time
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from pydantic import WithJsonSchema

from glabella.clinic.areas import area_key
from glabella.clinic.models import Location, Room, Service
from glabella.clinic.services import locations_serving
from glabella.core.api import api_actor, requires
from glabella.core.errors import ValidationFailed
from glabella.core.models import StaffMember
from glabella.core.roles import Capability

router = Router(tags=["clinic"])
STAFF = requires(Capability.VIEW_CLINIC)


# A time on the location's wall clock, without an offset: JSON Schema's "time" format asks
# for one, so the spec says what it is instead.
WallClock = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{2}:\d{2}(:\d{2})?$",
            "description": "Wall-clock time in the location's zone, e.g. 09:00:00",
        }
    ),
]


class HoursOut(Schema):
    weekday: int = Field(description="0 = Monday ... 6 = Sunday")
    opens: WallClock
    closes: WallClock


class AreaOut(Schema):
    kind: str
    label: str


class LocationOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    slug: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    phone: str
    time_zone: str
    opening_hours: list[HoursOut]
    service_areas: list[AreaOut]


class ServiceAreaAnswer(Schema):
    query: str
    served: bool
    locations: list[LocationOut]


class ServiceOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    slug: str
    kind: str
    description: str
    duration_minutes: int
    price: Decimal
    performer_credentials: list[str]
    bookable_online: bool


class RoomOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    location: UUID = Field(alias="location.public_id")
    active: bool


class StaffOut(Schema):
    id: UUID = Field(alias="public_id")
    full_name: str
    role: str
    credential: str
    licence_state: str
    licence_expires: date | None


def _public_locations(request):
    return (
        Location.objects.restrict(api_actor(request), "view")
        .filter(active=True)
        .prefetch_related("opening_hours", "service_areas")
    )


@router.get("/locations", response=list[LocationOut], auth=None, summary="Locations")
def list_locations(request: HttpRequest):
    return _public_locations(request)


@router.get("/locations/{public_id}", response=LocationOut, auth=None, summary="One location")
def read_location(request: HttpRequest, public_id: UUID):
    return get_object_or_404(_public_locations(request), public_id=public_id)


@router.get(
    "/service-area",
    response=ServiceAreaAnswer,
    auth=None,
    summary="Does the clinic serve this city or ZIP code?",
)
def check_service_area(request: HttpRequest, q: Annotated[str, Query(..., max_length=100)]):
    if area_key(q) is None:
        raise ValidationFailed({"q": ["Enter a city name or a five-digit ZIP code."]})
    found = locations_serving(q, _public_locations(request))
    return {"query": q, "served": bool(found), "locations": found}


@router.get("/services", response=list[ServiceOut], auth=None, summary="Service catalog")
def list_services(request: HttpRequest):
    return Service.objects.restrict(api_actor(request), "view").filter(active=True)


@router.get("/rooms", response=list[RoomOut], auth=STAFF, summary="Rooms (staff only)")
def list_rooms(request: HttpRequest):
    return Room.objects.restrict(api_actor(request), "view").select_related("location")


@router.get("/staff", response=list[StaffOut], auth=STAFF, summary="Staff (staff only)")
def list_staff(request: HttpRequest):
    return StaffMember.objects.filter(active=True)
