"""Clinic look-ups that other apps build on: the local date at a location, who serves an area."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from glabella.clinic.areas import area_key
from glabella.clinic.models import Location


def local_zone(location: Location | None = None) -> ZoneInfo:
    """The clinic's zone: the location's, else the first location's, else UTC."""
    if location is None:
        location = Location.objects.filter(active=True).order_by("id").first()
    return location.zone if location is not None else ZoneInfo("UTC")


def local_today(location: Location | None = None, now: datetime | None = None) -> date:
    """Today's date at the clinic: in the location's zone, else the first location's, else UTC."""
    return (now or timezone.now()).astimezone(local_zone(location)).date()


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
