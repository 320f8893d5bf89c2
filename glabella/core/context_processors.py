"""What every template is given: the current Actor (pages show only what the person may use),
the page's language with its other-language addresses, and how fresh a report's figures are."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from glabella.core import language, replica
from glabella.core.access import actor_from_request
from glabella.core.roles import Capability


def actor(request):
    who = actor_from_request(request)
    session = getattr(request, "session", None)
    locked = bool(session is not None and session.get("glabella_tablet_lock"))  # core/tablet.py
    return {
        "actor": who,
        "caps": {c.name: who.can(c) for c in Capability},
        "idle_logoff_minutes": settings.IDLE_LOGOFF_MINUTES,  # the staff pages' idle warning
        "idle_noted_seconds": settings.IDLE_NOTED_SECONDS,  # how often activity is noted
        "tablet_locked": locked,
    }


def languages(request):
    """The page's language and the same page in the others: `lang`, `hreflang` and the switch.
    The other addresses are worked out only when a page shows them (staff pages do not)."""
    here = language.current()

    def alternates():
        return [
            {"code": code, "name": name, "url": url, "current": code == here}
            for code, name, url in language.alternates(request.get_full_path())
        ]

    return {"page_language": here, "page_alternates": SimpleLazyObject(alternates)}


def replica_read(request):
    """`replica_read`: set while a page is drawn from the replica (core.replica), so that the page
    says how old its figures may be; None on every page read from the primary."""
    read = replica.current()
    return {"replica_read": read if read is not None and read.from_replica else None}
