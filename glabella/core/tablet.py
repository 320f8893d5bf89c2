"""The clinic's tablet handed to a patient, locked to their forms.

When the desk hands the tablet over, the staff member is signed out and the browser's session
is locked to one path (the patient's forms, `lock`). While it is locked, `TabletLockMiddleware`
refuses every other address with a bare page (403) that leads back to the forms (under /api/,
the API's JSON error, code `tablet_locked`); the pages drawn in it show no site menu and no links
out (`tablet_locked` in templates). Only a staff member unlocks it, on the tablet, with their
email and their signing PIN or password (`release`); wrong tries count towards the same pause as
signing, and every release or refusal is logged.
"""

from __future__ import annotations

from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from glabella.core import audit, lockout, signing, throttle
from glabella.core.access import actor_for, client_ip
from glabella.core.db import write_transaction
from glabella.core.errors import Throttled, ValidationFailed

SESSION_KEY = "glabella_tablet_lock"
LOCKED = gettext_noop(
    "This tablet is for a patient's forms; a staff member unlocks it at the front desk."
)


def lock(request, *, path: str, patient_public_id, by: str) -> None:
    """Locks this browser's session (already signed out) to `path` and what lies under it."""
    request.session[SESSION_KEY] = {
        "path": unquote(path),  # compared with request.path, which is decoded
        "patient": str(patient_public_id),
        "by": by[:200],
        "at": timezone.now().isoformat(),
    }


def locked_to(request) -> dict | None:
    session = getattr(request, "session", None)
    return session.get(SESSION_KEY) if session is not None else None


def release(request, *, email: object, secret: object) -> None:
    """Unlocks the tablet for the staff member whose email and PIN or password these are:
    refusals on their fields (422), a pause after repeated wrong tries (429)."""
    held = locked_to(request)
    if held is None:
        return
    ip = client_ip(request)
    limit, seconds = settings.THROTTLE_ADDRESS
    if ip and not throttle.allow("tablet:ip", ip, limit=limit, seconds=seconds):
        raise Throttled(gettext(throttle.MESSAGE), field="secret")
    staff_user = None
    if isinstance(email, str) and 0 < len(email) <= 254:
        staff_user = (
            get_user_model()
            .objects.filter(username__iexact=email.strip(), is_active=True, staff__active=True)
            .first()
        )
    if staff_user is None:
        raise ValidationFailed({"email": ["Give the email of a staff member of the clinic."]})
    if lockout.is_locked(staff_user):
        raise Throttled(lockout.locked_message(), field="secret")
    actor = actor_for(staff_user, channel="web", ip=ip)
    proof = signing.prove(actor, secret)  # counted, logged and paused like signing
    with write_transaction():
        audit.record(
            actor,
            audit.Action.UPDATE,
            audit.Kind.TABLET_RELEASE,
            patient_public_id=held.get("patient"),
            detail={
                "handed_over_by": held.get("by"),
                "since": held.get("at"),
                "with": proof.method,
            },
        )
    request.session.flush()  # the patient's forms session ends with the lock


def allowed(request, held: dict) -> bool:
    path = request.path
    return path.startswith((held["path"], settings.STATIC_URL)) or path == reverse(
        "core:tablet-release"
    )


class TabletLockMiddleware:
    """While the tablet is locked to a patient's forms, every other address is refused."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        held = locked_to(request)
        if held is not None and not allowed(request, held):
            if request.path.startswith("/api/"):
                # The API answers in its own JSON shape (core.api), the lock's refusal too.
                return JsonResponse(
                    {"error": {"code": "tablet_locked", "message": gettext(LOCKED)}}, status=403
                )
            context = {"forms_path": held["path"], "tablet_locked": True}
            return render(request, "core/tablet_refused.html", context, status=403)
        return self.get_response(request)
