"""No staff URL before the second factor.

A signed-in staff member who still owes the second factor (core.two_factor.pending) reaches only
the sign-in and sign-out, the second-factor step, the set-up pages, the passkey ceremonies and
static files. A page is sent to the second-factor step (or to set-up when they have no second
factor yet); the JSON API with that session answers 401 in its error shape. A request that
carries an API bearer token is left to the API: a token is a credential of its own.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from glabella.core import two_factor
from glabella.core.access import actor_from_request
from glabella.core.api import error_body

# Route names (namespace:name) open before the second factor.
OPEN_ROUTES = frozenset(
    {
        "core:sign-in",
        "core:sign-out",
        "core:second-factor",
        "core:two-factor-setup",
        "core:two-factor-app",
        "core:two-factor-passkey",
        "core:two-factor-backup-codes",
    }
)
# The passkey ceremonies check the session themselves; health answers before any session.
OPEN_NAMESPACES = frozenset({"otp_webauthn", "health"})


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.path.startswith(self.static_prefix):
            return None
        match = request.resolver_match
        if match is not None and (
            match.view_name in OPEN_ROUTES or match.namespace in OPEN_NAMESPACES
        ):
            return None
        if not two_factor.pending(actor_from_request(request), user):
            return None
        if request.path.startswith("/api/"):
            if request.headers.get("Authorization", "").startswith("Bearer glb_"):
                return None  # a bearer token; the session is refused in core.api as well
            body = error_body(
                "second_factor_required",
                "Finish signing in with your second factor first.",
                extra={"second_factor_url": reverse("core:second-factor")},
            )
            return JsonResponse(body, status=401)
        step = (
            "core:second-factor" if two_factor.has_second_factor(user) else "core:two-factor-setup"
        )
        url = reverse(step)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponseRedirect(url)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
