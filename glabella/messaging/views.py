"""Staff pages for the outbox: messages that could not be delivered, and sending them again."""

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from glabella.core.audit import Action, Kind, record, record_listing
from glabella.core.decorators import staff_page
from glabella.core.roles import Capability
from glabella.messaging import delivery
from glabella.messaging.models import Message


@require_GET
@staff_page(Capability.VIEW_PATIENT)
def outbox(request):
    """Failed messages first (what staff must act on), then the latest others."""
    status = request.GET.get("status", Message.Status.FAILED)
    if status not in Message.Status.values:
        status = Message.Status.FAILED
    rows = (
        Message.objects.restrict(request.actor)
        .filter(status=status)
        .select_related("patient")
        .order_by("-created_at", "-id")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    record_listing(
        request.actor,
        Kind.OUTBOX,
        (m.patient.public_id for m in page.object_list if m.patient_id),
        object_id=status,
        detail={"count": len(page.object_list)},
    )
    counts = dict(
        Message.objects.restrict(request.actor)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    statuses = [(value, label, counts.get(value, 0)) for value, label in Message.Status.choices]
    return render(
        request, "messaging/outbox.html", {"page": page, "status": status, "statuses": statuses}
    )


@require_POST
@staff_page(Capability.CHANGE_PATIENT)
def retry(request, public_id):
    message = get_object_or_404(
        Message.objects.restrict(request.actor, "change"), public_id=public_id
    )
    if delivery.retry_failed(message):
        record(
            request.actor, Action.UPDATE, Kind.MESSAGE, message.public_id, detail={"retry": True}
        )
        flash.success(request, f"The message to {message.to} will be sent again.")
    else:
        flash.error(request, "Only a failed message can be sent again.")
    return redirect(f"{reverse('messaging:outbox')}?status=failed")
