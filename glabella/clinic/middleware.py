"""The clinic's clock on every page: activates the zone instants are shown in.

A staff member reads the zone of the first location they work at; a patient the zone of their
preferred location; anyone else the clinic's first location. A page about one location in another
zone wraps its times in ``{% timezone location.zone %}``.
"""

from django.utils import timezone

from glabella.clinic.clock import local_zone
from glabella.core.access import actor_from_request


def zone_for_request(request):
    """The zone this request's person keeps their days in."""
    actor = actor_from_request(request)
    location = None
    if actor.staff is not None:
        location = actor.staff.locations.filter(active=True).order_by("id").first()
    elif actor.is_patient:
        # The patient row hangs off the account (patients sits above clinic: no import).
        patient = getattr(request.user, "patient_record", None)
        location = getattr(patient, "preferred_location", None)
    return local_zone(location)


class ClinicClockMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(("/api/", "/static/")):  # the API speaks ISO 8601 instants
            return self.get_response(request)
        timezone.activate(zone_for_request(request))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
