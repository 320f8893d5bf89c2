"""The clinic's clock: the zone and the date at a location, or at the clinic a patient goes to.

Every instant a person reads and every "today" a rule counts from is taken here, so a day at the
clinic is the same day on every page, message and record.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from glabella.clinic.models import Location


def local_zone(location: Location | None = None) -> ZoneInfo:
    """The clinic's zone: the location's, else the first location's, else UTC."""
    if location is None:
        location = Location.objects.filter(active=True).order_by("id").first()
    return location.zone if location is not None else ZoneInfo("UTC")


def local_today(location: Location | None = None, now: datetime | None = None) -> date:
    """Today's date at the clinic: in the location's zone, else the first location's, else UTC."""
    return (now or timezone.now()).astimezone(local_zone(location)).date()


def clinic_zone(patient=None) -> ZoneInfo:
    """The zone the patient's clinic keeps its days in (their preferred location's)."""
    return local_zone(getattr(patient, "preferred_location", None) if patient else None)


def clinic_today(patient=None, now: datetime | None = None) -> date:
    """Today's date at the patient's clinic."""
    return (now or timezone.now()).astimezone(clinic_zone(patient)).date()
