"""Outbound webhooks (issue 22, point 3): every event writes its deliveries with the change, each
delivery is signed as docs/webhooks.md says, retried with growing delays, kept with its attempts,
and never lost to a worker that dies; the owner's pages refuse bad input field by field.

The receiver is a real HTTP server in a thread on 127.0.0.1 that checks each signature with its
own HMAC code (not the app's `verify`), as an integration would.
"""

import hashlib
import hmac
import json
import os
import signal
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from glabella.aftercare import medwatch
from glabella.billing import invoices, payments
from glabella.clinic.models import Service
from glabella.core.access import system_actor
from glabella.core.audit import Kind
from glabella.core.models import AccessLog
from glabella.messaging.models import Message
from glabella.scheduling import bookings
from glabella.scheduling import signals as scheduling_signals
from glabella.webhooks import delivery, events, services
from glabella.webhooks.models import Delivery, Endpoint
from glabella.webhooks.signing import SignatureError, sign, verify
from tests.conftest import STAFF_EMAILS, make_patient
from tests.test_aftercare import event_data
from tests.test_messaging import _stderr, _worker, one_more_worker, running, worker_env
from tests.test_screening import at, book


class Receiver(BaseHTTPRequestHandler):
    """Checks the signature with its own code; answers `server.answer` to good deliveries."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        good = independently_verified(self.server.secret, self.headers["Glabella-Signature"], body)
        self.server.got.append({"headers": dict(self.headers), "body": body, "good": good})
        if self.server.hang_first and len(self.server.got) == 1:
            self.server.released.wait(60)  # the worker posting it is killed meanwhile
            return
        self.send_response(self.server.answer if good else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


def independently_verified(secret: str, header: str, body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(","))
    stamp = fields["t"]
    mac = hmac.new(secret.encode("utf-8"), stamp.encode() + b"." + body, hashlib.sha256)
    fresh = abs(time.time() - int(stamp)) < 300
    return hmac.compare_digest(mac.hexdigest(), fields["v1"]) and fresh


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.got, server.answer, server.secret = [], 200, ""
    server.hang_first, server.released = False, threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(receiver, clinic):
    added = services.add(
        system_actor("test"),
        "Accounting",
        f"http://127.0.0.1:{receiver.server_port}/hooks",
        list(events.EVENTS),
    )
    receiver.secret = added.secret
    return added


def deliver_all() -> list[str]:
    queued = Delivery.objects.filter(status=Delivery.Status.QUEUED).order_by("id")
    return [delivery.deliver_once(pk, worker="w") for pk in queued.values_list("pk", flat=True)]


# ---------------------------------------------------------------- events, signed


def test_every_event_is_delivered_signed_with_ids_and_no_patient_details(
    endpoint, receiver, treated, actor_of, clinic
):
    desk = actor_of("front_desk")
    maya = make_patient()
    appointment = book(desk, clinic, maya, at(2, 10), "consultation")
    bookings.reschedule(desk, appointment, start=at(3, 10))
    bookings.cancel(desk, appointment)
    medwatch.open_event(actor_of("injector"), treated, event_data())
    invoice = invoices.open_invoice(desk, maya, clinic)
    invoices.add_service(desk, invoice, Service.objects.get(slug="consultation"))
    payments.take_payment(desk, invoice, method="cash", amount=str(invoices.balance_of(invoice)))
    # Each delivery's task was written with it.
    assert DBTaskResult.objects.filter(task_path__endswith="webhooks.delivery.deliver").count() == 6

    assert deliver_all() == ["delivered"] * 6
    got = [json.loads(r["body"]) for r in receiver.got]
    assert all(r["good"] for r in receiver.got)
    assert [g["type"] for g in got] == [
        "treatment.signed",
        "appointment.booked",
        "appointment.moved",
        "appointment.cancelled",
        "adverse-event.recorded",
        "invoice.paid",
    ]
    assert [r["headers"]["Glabella-Event"] for r in receiver.got] == [g["type"] for g in got]
    by_type = {g["type"]: g for g in got}
    assert by_type["appointment.moved"]["data"] == {
        "appointment": events.reference("Appointment", appointment.public_id),
        "patient": {"id": str(maya.public_id), "reference": f"Patient/{maya.public_id}"},
        "location": events.reference("Location", clinic.public_id),
    }
    assert by_type["treatment.signed"]["data"]["treatment"]["reference"] == (
        f"Procedure/{treated.public_id}"
    )
    raw = b"".join(r["body"] for r in receiver.got).decode()
    for detail in (maya.family_name, maya.email, maya.phone, treated.patient.family_name, "1979"):
        assert detail not in raw
    stored = Delivery.objects.get(event_type="invoice.paid")
    assert receiver.got[-1]["headers"]["Glabella-Delivery"] == str(stored.public_id)
    assert stored.status == "delivered" and stored.tries.get().status_code == 200


def test_a_rolled_back_booking_leaves_no_delivery(endpoint, actor_of, clinic):
    def refuse(sender, **kwargs):
        raise RuntimeError("the booking failed after the webhooks wrote theirs")

    scheduling_signals.appointment_booked.connect(refuse, dispatch_uid="tests.webhooks")
    try:
        with pytest.raises(RuntimeError):
            book(actor_of("front_desk"), clinic, make_patient(), at(2, 10), "consultation")
    finally:
        scheduling_signals.appointment_booked.disconnect(dispatch_uid="tests.webhooks")
    assert not Delivery.objects.exists()
    assert not DBTaskResult.objects.filter(task_path__endswith="webhooks.delivery.deliver").exists()


def test_only_active_endpoints_that_asked_for_the_event_get_it(endpoint, clinic):
    other = services.add(system_actor("t"), "Lab", "https://lab.example.com/in", ["invoice.paid"])
    now = timezone.now()
    with transaction.atomic():
        assert services.queue_event("appointment.booked", {}, now) == 1
    services.switch(system_actor("t"), endpoint, False)
    with transaction.atomic():
        assert services.queue_event("invoice.paid", {}, now) == 1
    assert list(Delivery.objects.values_list("endpoint", flat=True).order_by("id")) == [
        endpoint.pk,
        other.pk,
    ]


def test_an_event_of_no_clinic_goes_to_nobody_once_there_are_two_clinics(endpoint, clinic):
    from glabella.clinic.models import Organisation

    now = timezone.now()
    with transaction.atomic():
        assert services.queue_event("appointment.booked", {}, now) == 1  # the only clinic's
        Organisation.objects.create(name="Harbor Skin Studio")
        assert services.queue_event("appointment.booked", {}, now) == 0
        assert services.queue_event("appointment.booked", {}, now, clinic.organisation_id) == 1


# ---------------------------------------------------------------- retries and failing


def test_a_failing_receiver_gets_growing_delays_then_the_endpoint_is_marked_failing(
    endpoint, receiver, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_RETRY_SECONDS = 60
    receiver.answer = 500
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        made = services.send_test(system_actor("test"), endpoint)
        delays = []
        while True:
            outcome = deliver_all()
            made.refresh_from_db()
            if made.status == Delivery.Status.FAILED:
                break
            assert outcome == ["will retry"] and made.status == "scheduled"
            wait = made.due_at - timezone.now()
            delays.append(round(wait.total_seconds() / 60))
            clock.shift(wait - timedelta(seconds=1))
            assert delivery.upkeep(timezone.now()) == 0  # not due yet
            clock.shift(timedelta(seconds=1))
            assert delivery.upkeep(timezone.now()) == 1
    assert delays == [1, 2, 4]
    assert [t.status_code for t in made.tries.all()] == [500] * 4
    assert len(receiver.got) == 4 and all(r["good"] for r in receiver.got)
    # The same delivery each time, signed afresh.
    assert len({r["headers"]["Glabella-Delivery"] for r in receiver.got}) == 1
    assert len({r["headers"]["Glabella-Signature"] for r in receiver.got}) == 4
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.consecutive_failures == 4
    (told,) = Message.objects.filter(topic="webhook-failing")
    assert told.to == STAFF_EMAILS["owner"] and "Accounting" in told.subject

    # Fixed: the owner sends it again, it is delivered, and the endpoint works again.
    receiver.answer = 204
    services.resend(system_actor("test"), made)
    assert deliver_all() == ["delivered"]
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.consecutive_failures == 0


def test_a_receiver_that_is_down_or_redirects_is_a_failed_attempt(endpoint, receiver):
    receiver.answer = 302
    services.send_test(system_actor("test"), endpoint)
    assert deliver_all() == ["will retry"]
    Endpoint.objects.filter(pk=endpoint.pk).update(url="http://127.0.0.1:9/closed")
    Delivery.objects.update(status="queued")
    assert deliver_all() == ["will retry"]
    first, second = Delivery.objects.get().tries.all()
    assert first.status_code == 302
    assert second.status_code is None and second.error.startswith("No answer")


# ---------------------------------------------------------------- a worker killed


def test_a_delivery_left_by_a_killed_worker_is_delivered_exactly_once(endpoint, receiver, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        made = services.send_test(system_actor("test"), endpoint)
        assert delivery.CLAIMS.claim(made.pk, "dead", timezone.now())  # then it was killed
        assert delivery.deliver_once(made.pk, worker="other") == "not claimed"
        assert delivery.upkeep(timezone.now()) == 0  # its claim is still fresh
        clock.shift(timedelta(seconds=settings.WEBHOOK_CLAIM_TIMEOUT_SECONDS + 1))
        assert delivery.upkeep(timezone.now()) == 1
        assert deliver_all() == ["delivered"]
        # The dead worker's claim holds nothing now: nothing it might still do changes the row.
        assert delivery.CLAIMS.mine(made, "dead").update(status="failed") == 0
        assert delivery.upkeep(timezone.now()) == 0
        assert deliver_all() == []
    assert len(receiver.got) == 1 and receiver.got[0]["good"]
    made.refresh_from_db()
    assert made.status == "delivered" and made.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_mid_post_loses_nothing(receiver, tmp_path, settings):
    """Real workers (`glabella worker`, django-tasks' database worker) in their own processes:
    the first is killed while its POST waits for an answer; the delivery is handed on and the
    next worker delivers it, the same delivery id both times."""
    endpoint = services.add(
        system_actor("test"), "CRM", f"http://127.0.0.1:{receiver.server_port}/in", ["invoice.paid"]
    )
    receiver.secret, receiver.hang_first = endpoint.secret, True
    made = services.send_test(system_actor("test"), endpoint)
    env = worker_env(tmp_path)
    with running() as workers:
        killed = _worker(env, "worker-killed")
        workers.append(killed)
        deadline = time.monotonic() + 120
        while not receiver.got and time.monotonic() < deadline and killed.poll() is None:
            time.sleep(0.05)
        assert receiver.got, _stderr(workers)
        os.kill(killed.pid, signal.SIGKILL)  # mid-POST
        killed.wait(timeout=30)
        made.refresh_from_db()
        assert (made.status, made.claimed_by) == ("sending", "worker-killed")
        later = timezone.now() + timedelta(seconds=settings.WEBHOOK_CLAIM_TIMEOUT_SECONDS + 1)
        assert delivery.upkeep(later) == 1
        one_more_worker(env, workers)
    made.refresh_from_db()
    assert (made.status, made.claimed_by, made.attempts) == ("delivered", "worker-late", 2)
    assert [t.status_code for t in made.tries.all()] == [200]  # the killed one recorded nothing
    assert len(receiver.got) == 2 and all(r["good"] for r in receiver.got)
    ids = {r["headers"]["Glabella-Delivery"] for r in receiver.got}
    assert ids == {str(made.public_id)}  # the receiver can tell it is the same delivery


# ---------------------------------------------------------------- the scheme


def test_verify_accepts_the_signed_body_and_refuses_anything_else():
    secret, body, now = "whsec_test", b'{"id":"1","type":"test"}', 1_800_000_000
    header = sign(secret, body, now)
    assert verify(secret, header, body, now=now + 299) == now
    assert verify(secret, f"{header},v1={'0' * 64}", body, now=now) == now  # another v1 beside
    refused = [
        (secret, header, body.replace(b"test", b"tEst"), now),  # the body changed
        ("whsec_other", header, body, now),  # another secret
        (secret, header, body, now + 301),  # too old: a replay
        (secret, header, body, now - 301),  # from the future
        (secret, header.replace(f"t={now}", f"t={now + 1}"), body, now),  # the time changed
        (secret, header.split(",")[1], body, now),  # no timestamp
        (secret, f"t=soon,{header.split(',')[1]}", body, now),
        (secret, "", body, now),
    ]
    for args in refused:
        with pytest.raises(SignatureError):
            verify(*args[:3], tolerance=300, now=args[3])


# ---------------------------------------------------------------- the owner's pages


def test_the_owner_adds_an_endpoint_and_sees_its_secret_once(client_for, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    owner = client_for("owner")
    body = {"name": "Lab", "url": "https://lab.example.com/in", "events": ["invoice.paid"]}
    added = owner.post(reverse("webhooks:new"), body)
    assert added.status_code == 201
    endpoint = Endpoint.objects.get()
    assert endpoint.secret in added.content.decode()
    page = owner.get(reverse("webhooks:endpoint", args=[endpoint.public_id]))
    assert endpoint.secret not in page.content.decode()
    assert AccessLog.objects.filter(object_type=Kind.WEBHOOK_ENDPOINT, action="create").count() == 1
    listed = owner.get(reverse("webhooks:list")).content.decode()
    assert "Lab" in listed and "Invoice paid" in listed and "Working" in listed


def test_the_owner_switches_off_tests_and_resends_from_the_page(client_for, endpoint, receiver):
    owner = client_for("owner")
    action = lambda name: reverse("webhooks:endpoint-action", args=[endpoint.public_id, name])  # noqa: E731
    assert owner.post(action("test")).status_code == 302
    receiver.answer = 500
    Delivery.objects.update(attempts=7)  # its last try
    assert deliver_all() == ["failed"]
    made = Delivery.objects.get()
    page = owner.get(reverse("webhooks:endpoint", args=[endpoint.public_id])).content.decode()
    assert "Failing since" in page and "HTTP 500" in page and "Send again" in page
    receiver.answer = 200
    assert owner.post(reverse("webhooks:resend", args=[made.public_id])).status_code == 302
    assert deliver_all() == ["delivered"]
    assert owner.post(action("switch-off")).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.active
    refused = owner.post(action("test"), follow=True)  # refused, said on the page
    assert "Switch the endpoint on before" in refused.content.decode()
    assert Delivery.objects.count() == 1
    kinds = AccessLog.objects.filter(object_type__startswith="webhook-").values_list(
        "object_type", "detail"
    )
    assert ("webhook-endpoint", {"active": False}) in list(kinds)
    assert sum(1 for k, _ in kinds if k == "webhook-delivery") == 2  # the test and the resend


def test_the_events_are_a_named_group_of_boxes(client_for):
    """Ticked boxes of one question are a fieldset whose legend names them (not a label after
    the list), on the new endpoint's page as on every form drawn by _form_fields.html."""
    page = client_for("owner").get(reverse("webhooks:new")).content.decode()
    group = page[page.index('<div class="field choices">') :]
    group = group[: group.index("</fieldset>")]
    assert "<fieldset><legend>Events</legend>" in group
    assert group.count('type="checkbox"') == len(events.EVENTS)
    assert '<label for="id_events_0">Events' not in page


GOOD = {"name": "Lab", "url": "https://lab.example.com/in", "events": ["invoice.paid"]}
BAD_ENDPOINTS = [
    ({"name": ""}, "name"),
    ({"name": "L" * 101}, "name"),
    ({"url": ""}, "url"),
    ({"url": "http://lab.example.com/in"}, "url"),
    ({"url": "http://127.0.0.1:8000/in"}, "url"),  # loopback over http only while developing
    ({"url": "ftp://lab.example.com/in"}, "url"),
    ({"url": "https://"}, "url"),
    ({"url": "https://user:pw@lab.example.com/in"}, "url"),
    ({"url": "https://lab.example.com:99999/in"}, "url"),
    ({"url": "https://lab.example.com/a b"}, "url"),
    ({"url": "https://lab.example.com/" + "a" * 500}, "url"),
    ({"events": []}, "events"),
    ({"events": ["patient.deleted"]}, "events"),
]


@pytest.mark.parametrize(("change", "field"), BAD_ENDPOINTS, ids=[str(c) for c, _ in BAD_ENDPOINTS])
def test_endpoint_forms_refuse_bad_input_field_by_field(
    client_for, endpoint, settings, change, field
):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    owner = client_for("owner")
    before = (list(Endpoint.objects.values()), AccessLog.objects.exclude(action="read").count())
    for url in (reverse("webhooks:new"), reverse("webhooks:endpoint", args=[endpoint.public_id])):
        response = owner.post(url, {**GOOD, **change})
        assert response.status_code == 422
        assert field in response.context["form"].errors, response.context["form"].errors
    after = (list(Endpoint.objects.values()), AccessLog.objects.exclude(action="read").count())
    assert after == before
