"""View decorators: who may open a staff page."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse

from glabella.core.access import actor_from_request
from glabella.core.roles import Capability


def staff_page(capability: Capability):
    """Signed-in staff holding `capability`; anyone else is sent to sign in or told no (403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            actor = actor_from_request(request)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not actor.can(capability):
                return render(request, "core/forbidden.html", status=403)
            request.actor = actor
            return view(request, *args, **kwargs)

        wrapper.required_capability = capability
        return wrapper

    return decorator


def patient_page(view):
    """A signed-in patient's own pages in the portal."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:sign-in"))
        actor = actor_from_request(request, channel="portal")
        if not actor.is_patient:
            return render(request, "core/forbidden.html", status=403)
        request.actor = actor
        return view(request, *args, **kwargs)

    wrapper.patient_page = True  # tests find every portal page by this mark
    return wrapper
