"""Every staff page warns while a location has nobody on call: an urgent report from a patient
treated there would reach no on-call clinician at once."""

from glabella.clinic import services
from glabella.core.access import actor_from_request


def on_call(request):
    if not actor_from_request(request).is_staff:
        return {}
    # A callable: the template asks only when it renders the banner (one query).
    return {"locations_without_on_call": services.locations_without_on_call}
