"""The owner's webhook pages: the endpoints and their state, adding one (its secret shown once),
changing its events, switching it off and on, a test event, and each endpoint's deliveries with
their attempts, a failed one sent again. Thin: the form parses, `services` decides and audits."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.clinic.clock import local_zone
from glabella.core.decorators import staff_page
from glabella.core.errors import Conflict, NotFound, describe
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.webhooks import events, services
from glabella.webhooks.forms import EndpointForm
from glabella.webhooks.models import Delivery, Endpoint


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _endpoint(request, public_id) -> Endpoint:
    found = services.listing(request.actor).filter(public_id=_uuid(public_id)).first()
    if found is None:
        raise NotFound("No such webhook endpoint.")
    return found


def _words(endpoint: Endpoint) -> list[str]:
    return [events.EVENTS.get(e, e) for e in endpoint.events]


@require_GET
@staff_page(Capability.MANAGE_CLINIC)
def endpoints(request):
    listed = [(e, _words(e)) for e in services.listing(request.actor)]
    return render_in(request, "webhooks/list.html", {"endpoints": listed}, local_zone())


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def new(request):
    form = EndpointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            with refusal_on(form) as refused:
                added = services.add(request.actor, data["name"], data["url"], data["events"])
            if not refused:
                # The one time the secret is shown: on the endpoint's page, drawn here.
                return _endpoint_page(request, added, EndpointForm(initial=_initial(added)), 201)
            status = refused.status
    return render_in(request, "webhooks/new.html", {"form": form}, local_zone(), status=status)


def _initial(endpoint: Endpoint) -> dict:
    return {"name": endpoint.name, "url": endpoint.url, "events": endpoint.events}


def _endpoint_page(request, endpoint, form, status=200):
    context = {
        "endpoint": endpoint,
        "words": _words(endpoint),
        "form": form,
        "secret": endpoint.secret if status == 201 else None,
        "deliveries": [
            (d, events.WORDS.get(d.event_type, "Event"))
            for d in services.recent_deliveries(request.actor, endpoint)
        ],
    }
    return render_in(request, "webhooks/endpoint.html", context, local_zone(), status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def endpoint(request, public_id):
    found = _endpoint(request, public_id)
    if request.method == "GET":
        return _endpoint_page(request, found, EndpointForm(initial=_initial(found)))
    form = EndpointForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with refusal_on(form) as refused:
            services.change(request.actor, found, data["name"], data["url"], data["events"])
        if not refused:
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks:endpoint", public_id=found.public_id)
        return _endpoint_page(request, found, form, refused.status)
    return _endpoint_page(request, found, form, 422)


ACTIONS = {
    "switch-off": (lambda actor, e: services.switch(actor, e, False), "Switched off."),
    "switch-on": (lambda actor, e: services.switch(actor, e, True), "Switched on."),
    "test": (services.send_test, "A test event is on its way."),
}


@require_POST
@staff_page(Capability.MANAGE_CLINIC)
def endpoint_action(request, public_id, action):
    if action not in ACTIONS:
        raise NotFound("No such action.")
    found = _endpoint(request, public_id)
    act, done = ACTIONS[action]
    _act(request, lambda: act(request.actor, found), done)
    return redirect("webhooks:endpoint", public_id=found.public_id)


def _act(request, action, done: str) -> None:
    """Runs an endpoint's button; a refusal (Conflict) is said on the endpoint's page."""
    try:
        action()
    except Conflict as exc:
        messages.error(request, describe(exc))
    else:
        messages.success(request, done)


@require_POST
@staff_page(Capability.MANAGE_CLINIC)
def resend(request, public_id):
    found = (
        Delivery.objects.restrict(request.actor)
        .select_related("endpoint")
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if found is None:
        raise NotFound("No such delivery.")
    again = "The delivery is on its way again."
    _act(request, lambda: services.resend(request.actor, found), again)
    return redirect("webhooks:endpoint", public_id=found.endpoint.public_id)
