"""The staff inbox of website messages: read, answer by email or text (through the outbox, kept
in the patient's thread when the sender is a patient on file), mark answered; and above them the
texts patients sent that nobody has read yet: answer by text, or mark read."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from glabella.core import audit
from glabella.core.access import get_restricted_or_404
from glabella.core.decorators import staff_page
from glabella.core.errors import ValidationFailed
from glabella.core.pages import refusal_on
from glabella.core.roles import Capability
from glabella.messaging import texts
from glabella.messaging.models import InboundText
from glabella.portal import replies, services
from glabella.portal.forms import ReplyForm, TextAnswerForm
from glabella.portal.models import ContactMessage

SHOWN = 100


@require_GET
@staff_page(Capability.VIEW_PATIENT)
def inbox(request):
    return _inbox(request, handled=request.GET.get("handled") == "1")


def _inbox(request, *, handled: bool, failed=None, status: int = 200):
    """The page; `failed`: (message, bound form) of an answer refused, shown with its errors."""
    rows = list(
        services.inbox(request.actor, handled=handled)
        .select_related("patient")
        .prefetch_related("replies__message")[:SHOWN]
    )
    if failed is not None and not isinstance(failed[0], ContactMessage):
        failed_text, failed = failed, None
    else:
        failed_text = None
    if failed is not None and all(m.pk != failed[0].pk for m in rows):
        rows.insert(0, failed[0])
    found = replies.senders(rows)
    audit.record(
        request.actor, audit.Action.READ, audit.Kind.CONTACT_INBOX, detail={"shown": len(rows)}
    )
    if found:  # the page names these patients (a link to each record)
        audit.record_listing(
            request.actor, audit.Kind.CONTACT_INBOX, (p.public_id for p in found.values())
        )
    items = []
    for m in rows:
        patient = found.get(m.pk)
        route = replies.route_for(patient)
        if failed is not None and failed[0].pk == m.pk:
            form = failed[1]
        else:
            form = ReplyForm(initial={"channel": route.preferred}, prefix=f"r{m.pk}")
        items.append({"m": m, "patient": patient, "route": route, "form": form})
    shown_texts = [] if handled else _unread_texts(request, failed_text)
    context = {"items": items, "handled": handled, "texts": shown_texts}
    return render(request, "portal/inbox.html", context, status=status)


def _unread_texts(request, failed) -> list[dict]:
    """The texts waiting for the desk (none on the answered view), each with its answer form;
    the page names their patients, so it logs them."""
    found = list(texts.unread(request.actor)[:SHOWN])
    if failed is not None and all(t.pk != failed[0].pk for t in found):
        found.insert(0, failed[0])
    named = [t.patient.public_id for t in found if t.patient_id]
    if named:
        audit.record_listing(request.actor, audit.Kind.INBOUND_TEXT, named)
    rows = []
    for t in found:
        if failed is not None and failed[0] == t:
            form = failed[1]
        else:
            form = TextAnswerForm(prefix=f"t{t.pk}")
        rows.append({"t": t, "refusal": replies.text_refusal(t), "form": form})
    return rows


@require_POST
@staff_page(Capability.CHANGE_PATIENT)
def text_answer(request, public_id):
    text = get_restricted_or_404(
        InboundText.objects.select_related("patient__preferred_location"),
        request.actor,
        "change",
        public_id=public_id,
    )
    form = TextAnswerForm(request.POST, prefix=f"t{text.pk}")
    if form.is_valid():
        with refusal_on(form, kinds=(ValidationFailed,)) as refused:
            replies.answer_text(request.actor, text, form.cleaned_data)
        if not refused:
            messages.success(request, f"Your text to {text.patient.full_name} is on its way.")
            return redirect("portal:inbox")
    return _inbox(request, handled=False, failed=(text, form), status=422)


@require_POST
@staff_page(Capability.CHANGE_PATIENT)
def text_read(request, public_id):
    text = get_restricted_or_404(InboundText.objects, request.actor, "change", public_id=public_id)
    texts.mark_read(request.actor, text)
    return redirect("portal:inbox")


@require_POST
@staff_page(Capability.CHANGE_PATIENT)
def reply(request, public_id):
    contact = get_restricted_or_404(
        ContactMessage.objects.select_related("location", "patient"),
        request.actor,
        public_id=public_id,
    )
    form = ReplyForm(request.POST, prefix=f"r{contact.pk}")
    patient = replies.senders([contact]).get(contact.pk)
    if form.is_valid():
        with refusal_on(form, kinds=(ValidationFailed,)) as refused:
            sent = replies.send_reply(request.actor, contact, form.cleaned_data, patient=patient)
        if not refused:
            how = "text" if sent.channel == "sms" else "email"
            messages.success(request, f"Your answer to {contact.name} is on its way by {how}.")
            return redirect("portal:inbox")
    return _inbox(
        request, handled=contact.handled_at is not None, failed=(contact, form), status=422
    )


@require_POST
@staff_page(Capability.CHANGE_PATIENT)
def handled(request, public_id):
    message = get_restricted_or_404(ContactMessage.objects, request.actor, public_id=public_id)
    services.mark_handled(request.actor, message)
    return redirect("portal:inbox")
