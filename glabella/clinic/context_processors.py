"""Every staff page warns while a location has nobody on call: an urgent report from a patient
treated there would reach no on-call clinician at once."""

from glabella.clinic import services
from glabella.core.access import actor_from_request


def on_call(request):
    if not actor_from_request(request).is_staff:
        return {}
    # A callable: the template asks only when it renders the banner (one query).
    return {"locations_without_on_call": services.locations_without_on_call}


def brand(request):
    """The clinic's name, colors and logo for every page's title and top bar (one query, only
    when a template reads it)."""
    from django.utils.functional import SimpleLazyObject

    from glabella.core import brand as core_brand

    return {"brand": SimpleLazyObject(core_brand.current)}
