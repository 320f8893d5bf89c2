"""Idle logoff on staff pages (HIPAA's automatic logoff): a staff member quiet for longer than
IDLE_LOGOFF_MINUTES is signed out at their next request and sent to sign in, told why.

The session keeps the time of the last request (rewritten at most every IDLE_NOTED_SECONDS,
30, so a busy page does not write the session on every request). Every request a person makes
counts: the project has no polling requests (a live search is someone typing).
`static/core/idle.js` warns a minute before and then sends the page to sign-in. Patients' portal
pages are not timed out: they show a patient their own records, on their own device (decision
0021).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from glabella.core.access import actor_from_request

LAST_SEEN = "glabella_last_seen"


def idle_message(minutes: int) -> str:
    return (
        f"You were signed out after {minutes} minutes without activity, so that nobody else "
        "sees patients' records on this screen. Sign in again to go on."
    )


class IdleLogoffMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._is_staff(request):
            now = timezone.now().timestamp()
            last = request.session.get(LAST_SEEN)
            minutes = settings.IDLE_LOGOFF_MINUTES
            noted_every = settings.IDLE_NOTED_SECONDS
            # Activity is noted at most every IDLE_NOTED_SECONDS, so the quiet time counts
            # from up to that much later than the last note: never a sign-out too early.
            quiet = now - last - noted_every if isinstance(last, (int, float)) else 0
            if isinstance(last, (int, float)) and quiet > minutes * 60:
                answer = self._sign_out(request, minutes)
                if answer is not None:
                    return answer
            elif not isinstance(last, (int, float)) or now - last >= noted_every:
                request.session[LAST_SEEN] = now
        return self.get_response(request)

    @staticmethod
    def _is_staff(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if request.path.startswith(settings.STATIC_URL):
            return False
        return actor_from_request(request).is_staff or user.is_staff

    @staticmethod
    def _sign_out(request, minutes: int):
        request.glabella_sign_out_reason = "idle"
        logout(request)
        request._glabella_actor = None  # the cached actor was the signed-out staff member's
        if request.path.startswith("/api/"):
            return None  # the API answers the now anonymous request itself (401)
        messages.info(request, idle_message(minutes))
        sign_in = reverse("core:sign-in")
        if request.headers.get("HX-Request"):
            answer = HttpResponse(status=204)
            answer["HX-Redirect"] = sign_in
            return answer
        if request.path == sign_in:
            return None  # the sign-in page itself, now for an anonymous visitor, with the message
        if request.method == "GET":
            return redirect_to_login(request.get_full_path(), sign_in)
        return redirect_to_login(reverse("core:home"), sign_in)
