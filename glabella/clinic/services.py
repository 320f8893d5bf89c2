"""Clinic look-ups that other apps build on: the local date at a location, who serves an area."""

from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from glabella.clinic.areas import area_key
from glabella.clinic.models import Location


def local_today(location: Location | None = None, now: datetime | None = None) -> date:
    """Today's date at the clinic: in the location's zone, else the first location's, else UTC."""
    now = now or timezone.now()
    if location is None:
        location = Location.objects.filter(active=True).order_by("id").first()
    if location is None:
        return now.date()
    return now.astimezone(location.zone).date()


def locations_serving(city_or_zip: str):
    """The active locations that serve a city or ZIP code: their own, or one of their areas."""
    key = area_key(city_or_zip)
    if key is None:
        return Location.objects.none()
    kind, value = key
    own = {"city__iexact": value} if kind == "city" else {"postal_code__startswith": value}
    return (
        Location.objects.filter(active=True)
        .filter(Q(**own) | Q(service_areas__kind=kind, service_areas__key=value))
        .distinct()
        .order_by("name")
    )
