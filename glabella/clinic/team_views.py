"""The owner's staff pages (the team, invitations, a person's details and account, API tokens),
the medical director's grant of clinical access to the owner, and the invited person's
set-password page. Thin: forms parse, `core.staff` and `core.tokens` decide and audit."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from glabella.clinic.clock import local_today, local_zone
from glabella.clinic.team_forms import InviteForm, StaffDetailsForm, TokenForm, WelcomeForm
from glabella.core import staff as staff_service
from glabella.core import tokens
from glabella.core.access import client_ip
from glabella.core.decorators import staff_page
from glabella.core.errors import Conflict, NotFound
from glabella.core.models import ApiToken, StaffMember
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability


def _member(public_id) -> StaffMember:
    found = StaffMember.objects.select_related("user", "supervising_prescriber")
    try:
        return found.get(public_id=public_id)
    except (StaffMember.DoesNotExist, ValueError):
        raise NotFound("No such staff member.") from None


def invitation_link(uid: str, token: str) -> str:
    """Links in emails point to SITE_URL, like every other message's, never to the Host sent."""
    return settings.SITE_URL + reverse("clinic:welcome", args=[uid, token])


def _link_for(request):
    return invitation_link


def _invite_message(request, staff, sent: bool) -> None:
    if sent:
        messages.success(request, f"Invitation sent to {staff.user.email}.")
    else:
        messages.error(
            request,
            f"{staff.full_name}'s account is ready, but the invitation email could not be sent. "
            "Try sending it again from their page.",
        )


@require_http_methods(["GET"])
@staff_page(Capability.MANAGE_CLINIC)
def team(request):
    rows = staff_service.team(request.actor, local_today())
    context = {"rows": rows}
    return render_in(request, "clinic/team/list.html", context, local_zone())


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def invite(request):
    form = InviteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            with refusal_on(form) as refused:
                staff, sent = staff_service.invite(
                    request.actor,
                    form.cleaned_data["email"],
                    form.details(),
                    today=local_today(),
                    link_for=_link_for(request),
                )
            if not refused:
                _invite_message(request, staff, sent)
                return redirect("clinic:team")
            status = refused.status
        else:
            status = 422
    return render(request, "clinic/team/invite.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def member(request, public_id):
    staff = _member(public_id)
    initial = StaffDetailsForm.initial_for(staff)
    form = StaffDetailsForm(request.POST or None, initial=initial, staff=staff)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            with refusal_on(form) as refused:
                staff_service.change(request.actor, staff, form.details(), today=local_today())
            if not refused:
                messages.success(request, f"{staff.full_name}'s details saved.")
                return redirect("clinic:team-member", public_id=staff.public_id)
            status = refused.status
        else:
            status = 422
    today = local_today()
    state, days = staff_service.licence_state(staff, today)
    context = {
        "staff": staff,
        "form": form,
        "licence": state,
        "licence_days": days,
        "two_factor": staff.user_id in staff_service.users_with_second_factor([staff.user_id]),
        "invited": not staff.user.has_usable_password(),
        "locked": staff_service.sign_in_locked(staff),
        "is_me": request.actor.staff is not None and request.actor.staff.pk == staff.pk,
    }
    return render_in(request, "clinic/team/member.html", context, local_zone(), status=status)


ACTIONS = {
    "deactivate": lambda r, s: staff_service.set_active(r.actor, s, False),
    "reactivate": lambda r, s: staff_service.set_active(r.actor, s, True),
    "reset-two-factor": lambda r, s: staff_service.reset_two_factor(r.actor, s),
    "unlock": lambda r, s: staff_service.unlock_sign_in(r.actor, s),
    "resend-invitation": lambda r, s: staff_service.resend_invitation(
        r.actor, s, link_for=_link_for(r)
    ),
}
DONE = {
    "deactivate": (
        "{name}'s account is switched off: they are signed out and their API tokens are revoked."
    ),
    "reactivate": "{name}'s account is on again.",
    "reset-two-factor": "{name}'s second factor is removed: they set one up at their next sign-in.",
    "unlock": "{name} may sign in again.",
}


@require_POST
@staff_page(Capability.MANAGE_CLINIC)
def member_action(request, public_id, action):
    if action not in ACTIONS:
        raise NotFound("No such action.")
    staff = _member(public_id)
    result = ACTIONS[action](request, staff)  # a refusal: its message and this page again
    if action == "resend-invitation":
        _invite_message(request, staff, result)
    else:
        messages.success(request, DONE[action].format(name=staff.full_name))
    return redirect("clinic:team-member", public_id=staff.public_id)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def api_tokens(request):
    form = TokenForm(request.POST or None)
    status, raw, issued = 200, None, None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            chosen = StaffMember.objects.select_related("user").get(public_id=data["staff"])
            if data["preset"] in (tokens.READ, tokens.WRITE):
                scope = tokens.scope_for(chosen, data["preset"])
            else:
                scope = data["scope"]
            with refusal_on(form) as refused:
                issued, raw = tokens.issue(request.actor, chosen, data["name"], scope, data["days"])
            if refused:
                status = refused.status
            else:
                status = 201
                form = TokenForm()
        else:
            status = 422
    listed = [(t, tokens.scope_words(t)) for t in tokens.listing(request.actor)]
    context = {"form": form, "raw": raw, "issued": issued, "tokens": listed, "now": timezone.now()}
    return render_in(request, "clinic/team/tokens.html", context, local_zone(), status=status)


@require_POST
@staff_page(Capability.MANAGE_CLINIC)
def api_token_revoke(request, public_id):
    token = ApiToken.objects.filter(
        public_id=_uuid_or_none(public_id),
        user__staff__organisation_id=request.actor.organisation_id,  # the clinic's staff's only
    ).first()
    if token is None:
        raise NotFound("No such token.")
    tokens.revoke(request.actor, token)
    messages.success(request, f"Token “{token.name}” revoked: it stops working now.")
    return redirect("clinic:api-tokens")


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@staff_page(Capability.GRANT_CLINICAL_ACCESS)
def clinical_access(request):
    if request.method == "POST":
        owner = StaffMember.objects.filter(
            public_id=_uuid_or_none(request.POST.get("owner", ""))
        ).first()
        granted = request.POST.get("granted")
        if owner is None or granted not in ("yes", "no"):
            messages.error(request, "Choose an owner and whether to grant access.")
            owners = staff_service.owners()
            return render_in(
                request, "clinic/team/clinical_access.html", {"owners": owners}, local_zone(), 422
            )
        staff_service.set_clinical_access(request.actor, owner, granted == "yes")
        word = "granted to" if granted == "yes" else "withdrawn from"
        messages.success(request, f"Access to clinical records {word} {owner.full_name}.")
        return redirect("clinic:clinical-access")
    context = {"owners": staff_service.owners()}
    return render_in(request, "clinic/team/clinical_access.html", context, local_zone())


@require_http_methods(["GET", "POST"])
def welcome(request, uidb64, token):
    """The invited person chooses a password; the link works once, for STAFF_INVITE_HOURS."""
    user = staff_service.open_invitation(uidb64, token)
    if user is None:
        return render(request, "clinic/team/welcome.html", {"expired": True}, status=410)
    form = WelcomeForm(user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            with refusal_on(form) as refused:
                staff_service.accept_invitation(
                    uidb64, token, form.cleaned_data["new_password1"], ip=client_ip(request)
                )
            if not refused:
                messages.success(request, "Your password is set. Sign in with your email.")
                return redirect("core:sign-in")
            if isinstance(refused.error, Conflict):
                return render(request, "clinic/team/welcome.html", {"expired": True}, status=410)
            status = refused.status
        else:
            status = 422
    context = {"form": form, "name": user.staff.full_name}
    return render(request, "clinic/team/welcome.html", context, status=status)
