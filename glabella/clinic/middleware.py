"""Which clinic a request is for (decision 0047), and the clinic's clock on every page.

`OrganisationMiddleware` settles the clinic: the signed-in person's own, else the one whose host
names the request's, else the only one; its rows and brand are then the request's.
`ClinicClockMiddleware` activates the zone instants are shown in.

A staff member reads the zone of the first location they work at; a patient the zone of their
preferred location; anyone else the clinic's first location. A page about one location in another
zone wraps its times in ``{% timezone location.zone %}``.
"""

from django.utils import timezone

from glabella.clinic.clock import local_zone
from glabella.core.access import (
    across_clinics,
    acting_for,
    actor_from_request,
    span_every_clinic,
)


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


def organisation_for_host(host: str) -> int | None:
    """The organisation whose `hosts` name this host (port and case ignored); with one
    organisation only, that one; else None. One query."""
    from glabella.clinic.models import Organisation

    name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
    clinics = list(Organisation._base_manager.order_by("pk").values_list("pk", "hosts"))
    for pk, hosts in clinics:
        if name in hosts.lower().split():
            return pk
    return clinics[0][0] if len(clinics) == 1 else None


class OrganisationMiddleware:
    """Which clinic a request belongs to (decision 0047): a signed-in person's own; anyone else's
    by the host the request came to (Organisation.hosts); with one clinic only, that clinic.
    Sets `request.organisation_id` (what an anonymous visitor sees) and the acting organisation
    (whose brand the pages and messages carry)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organisation_id = organisation_for_host(request.get_host())
        actor = actor_from_request(request)
        # A visitor on a host no clinic names, in a deployment of several (the deployment's own
        # SITE_URL, where its signed links point): no clinic's scope; the door still shows them
        # no clinic's data, and a signed link acts as its own patient.
        acting = actor.organisation_id or request.organisation_id
        with acting_for(acting), across_clinics(False):
            return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        if getattr(view, "for_every_clinic", False):
            span_every_clinic()  # undone as the request ends (across_clinics' reset)


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
