"""The pages issue 22 added, walked in Chromium as the clinic uses them, with no Django admin:

- the owner adds a webhook endpoint (a bad address refused on its field first), copies its
  signing secret from the one page that shows it, and reads a delivery that failed once and then
  got through, each attempt with its time on the clinic's clock and no internal code in sight;
- the front desk reads a patient's text in the inbox (it comes in as Twilio sends it: a signed
  request to the callback), texts her back, and sees her red-flag answer to a check-in said as
  urgent in the follow-up board's own words, with who was told; her record's thread then holds
  both directions, newest first;
- the patient makes a token for her health app on her phone (refused field by field first),
  sees it once, and revokes it.

The receiver of the webhooks is a real HTTP server on 127.0.0.1 that checks each signature with
its own code (tests/test_webhooks.py's). Every page passes axe-core, fits a desk's 1280-pixel
screen and a 375-pixel phone, and loads nothing from another site. Screenshots of each page go to
$WALK_SHOTS when it is set (never into docs/).
"""

import os
import re
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from glabella.aftercare.models import CheckIn
from glabella.core.models import ApiToken
from glabella.messaging import delivery as messages_out
from glabella.messaging.models import InboundText
from glabella.webhooks import delivery, events
from glabella.webhooks.models import Delivery, Endpoint
from tests.browser.conftest import looks_right
from tests.browser.test_forms_in_a_browser import fits_the_screen
from tests.browser.test_journey_in_a_browser import PASSWORD
from tests.browser.test_team_in_a_browser import accessible, desk_context, signed_in
from tests.conftest import STAFF_EMAILS
from tests.test_screening import at, book
from tests.test_texts_twilio import ACCOUNT, grace, signed_post, text_in, twilio  # noqa: F401
from tests.test_webhooks import deliver_all, receiver  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}
DESK = {"width": 1280, "height": 900}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def shot(page, name: str) -> None:
    if os.environ.get("WALK_SHOTS"):
        folder = Path(os.environ["WALK_SHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def seen_right(page, name: str) -> None:
    """A staff page passes axe-core and fits at a desk and on a phone (the desk's size after)."""
    accessible(page, name)
    fits_the_screen(page)
    shot(page, name)
    page.set_viewport_size(PHONE)
    fits_the_screen(page)
    accessible(page, f"{name} on a phone")
    shot(page, f"{name}-phone")
    page.set_viewport_size(DESK)


def on_the_clinic_clock(instant, zone) -> str:
    return date_format(timezone.localtime(instant, zone), "DATETIME_FORMAT")


def in_utc(instant) -> str:
    return date_format(timezone.localtime(instant, UTC), "DATETIME_FORMAT")


# ---------------------------------------------------------------- the owner's webhooks


def test_the_owner_adds_a_webhook_and_reads_its_deliveries_and_attempts(
    browser,
    live_server,
    clinic,
    receiver,  # noqa: F811
    actor_of,
    patient,
):
    owner = signed_in(desk_context(browser), live_server, STAFF_EMAILS["owner"], PASSWORD)
    click(owner, "nav >> text=Clinic")
    click(owner, "text=Set up the clinic")
    click(owner, "main a:has-text('Webhooks')")
    assert "No endpoints yet." in owner.inner_text("main")
    seen_right(owner, "webhooks-none")

    # A bad address is refused on its own field; what she typed stays.
    click(owner, "text=Add an endpoint")
    assert owner.locator("fieldset legend").inner_text() == "Events"  # the group is named
    owner.fill("input[name=name]", "Accounting")
    owner.fill("input[name=url]", "accounting.example.com/in")
    owner.check("label:has-text('Appointment booked') input")
    click(owner, "main button[type=submit]")
    assert "This is not a web address" in owner.inner_text("#id_url_error")
    assert owner.input_value("input[name=name]") == "Accounting"
    assert not Endpoint.objects.exists()
    seen_right(owner, "webhook-refused")

    # A good one: the secret is shown this once, and it is the one that signs.
    owner.fill("input[name=url]", f"http://127.0.0.1:{receiver.server_port}/hooks")
    click(owner, "main button[type=submit]")
    assert "Copy its signing secret now" in owner.inner_text("main")
    shown = owner.inner_text("main section[role=status] code").strip()
    endpoint = Endpoint.objects.get()
    assert shown == endpoint.secret and endpoint.events == [events.APPOINTMENT_BOOKED]
    receiver.secret = shown  # the receiving system is given what the page showed
    seen_right(owner, "webhook-added")  # a long secret wraps on a phone
    owner.goto(live_server.url + reverse("webhooks:endpoint", args=[endpoint.public_id]))
    assert shown not in owner.content()
    assert "shown once, when the endpoint was added" in owner.inner_text("main")

    # A test event meets a receiver that is down, and gets through at its retry; a booking's
    # event gets through at once.
    receiver.answer = 503
    click(owner, "text=Send a test event")
    assert "A test event is on its way." in owner.inner_text("main")
    assert deliver_all() == ["will retry"]
    tried = Delivery.objects.get()
    assert delivery.upkeep(tried.due_at) == 1  # the worker's minute, when the retry is due
    receiver.answer = 200
    assert delivery.deliver_once(tried.pk, worker="walk", now=tried.due_at) == "delivered"
    book(actor_of("front_desk"), clinic, patient, at(2, 10), "consultation")
    assert deliver_all() == ["delivered"]
    assert [r["good"] for r in receiver.got] == [True, True, True]

    owner.reload()
    main = owner.inner_text("main")
    test_row = owner.locator("main table tbody tr", has_text="Test event")
    # On a phone the table's head is hidden: each cell names its column.
    assert "HTTP 503" in test_row.locator("td[data-label=Attempts]").inner_text()
    test_row = test_row.inner_text()
    booked_row = owner.locator("main table tbody tr", has_text="Appointment booked").inner_text()
    first, second = tried.tries.all()
    zone = clinic.zone
    assert f"{on_the_clinic_clock(first.at, zone)}: HTTP 503" in test_row
    assert f"{on_the_clinic_clock(second.at, zone)}: HTTP 200" in test_row
    assert f"Delivered {on_the_clinic_clock(second.at, zone)}" in test_row
    assert "HTTP 200" in booked_row and "Delivered" in booked_row
    for attempt in (first, second):
        assert in_utc(attempt.at) not in main  # the clinic's clock, not the server's
    # No internal keys or codes: event types, status values, ids, the secret.
    for code in [*events.EVENTS, "scheduled", "queued", "whsec_", endpoint.secret, "None"]:
        assert code not in main, code
    assert not UUID.search(main)
    seen_right(owner, "webhook-deliveries")

    click(owner, "text=← Webhooks")
    row = owner.locator("main table tbody tr", has_text="Accounting")
    assert row.locator("td[data-label=Events]").inner_text() == "Appointment booked"
    assert row.locator("td[data-label=State]").inner_text() == "Working"
    seen_right(owner, "webhooks-one")


# ---------------------------------------------------------------- the desk's texts


def test_the_desk_reads_texts_in_the_inbox_an_urgent_one_as_the_board_says_it_and_the_thread(
    browser,
    live_server,
    clinic,
    grace,  # noqa: F811
    treated,
    twilio,  # noqa: F811
):
    gateway = Client()  # Twilio, posting signed requests to the callbacks
    zone = clinic.zone
    assert text_in(gateway, "Can I take ibuprofen tonight?").status_code == 200
    question = InboundText.objects.get()

    desk = signed_in(desk_context(browser), live_server, STAFF_EMAILS["front_desk"], PASSWORD)
    click(desk, "nav >> text=Inbox")
    card = desk.locator(f"#text-{question.public_id}")
    assert card.locator("h3 a").inner_text() == grace.full_name
    said = card.inner_text()
    assert "Can I take ibuprofen tonight?" in said
    assert f"received {on_the_clinic_clock(question.received_at, zone)}" in said
    assert in_utc(question.received_at) not in said
    seen_right(desk, "inbox-a-question")

    # She texts back from the inbox; it goes through the gateway and Twilio says it arrived.
    card.locator("summary", has_text="Text back").click()
    card.locator("textarea").fill("Yes, ibuprofen is fine tonight.")
    click(desk, f"#text-{question.public_id} button:has-text('Send the text')")
    assert f"Your text to {grace.full_name} is on its way." in desk.inner_text("main")
    assert not desk.locator(f"#text-{question.public_id}").count()  # answered, so read
    question.refresh_from_db()
    answer = question.answer
    assert messages_out.deliver_message(answer.pk, worker="walk") == "sent"
    answer.refresh_from_db()
    status = reverse("texts:status", args=[answer.public_id])
    arrived = {"MessageSid": answer.provider_reference, "AccountSid": ACCOUNT,
               "MessageStatus": "delivered"}  # fmt: skip
    assert signed_post(gateway, status, arrived).status_code == 200

    # Her day-14 check-in is asking; her answer by text names a red flag.
    day_14 = CheckIn.objects.get(treatment=treated, day=14)
    CheckIn.objects.filter(pk=day_14.pk).update(due_at=timezone.now() - timedelta(hours=2))
    assert text_in(gateway, "Since last night it is hard to swallow").status_code == 200
    red_flag = InboundText.objects.latest("id")
    desk.reload()
    card = desk.locator(f"#text-{red_flag.public_id}")
    line = card.locator("p.handled").inner_text()
    assert line.startswith("Urgent: her answer to the day 14 check-in. Told: ")
    seen_right(desk, "inbox-urgent")

    # The follow-up board says it the same way: its badge's word, the same people told.
    injector = signed_in(desk_context(browser), live_server, STAFF_EMAILS["injector"], PASSWORD)
    click(injector, "nav >> text=Follow-up")
    alert = injector.locator("main section.card", has_text=grace.full_name)
    assert "Frown lines between the brows 20 U (5 points)" in alert.inner_text()
    badge = alert.locator(".severity").inner_text()
    assert line.startswith(f"{badge}: ")
    told = alert.locator(".told li").all_inner_texts()
    assert told and all(t.split(": ")[1].split(" by ")[0] in line for t in told), (told, line)
    seen_right(injector, "follow-up-board")
    injector.context.close()

    # Her record: both directions, newest first, with the gateway's word on the desk's answer.
    click(desk, f"#text-{red_flag.public_id} h3 a")
    thread = desk.locator("#messages ul.messages-sent > li")
    entries = thread.all_inner_texts()
    where = {
        name: next(i for i, e in enumerate(entries) if marker in e)
        for name, marker in [
            ("red flag", "hard to swallow"),
            ("answer", "Answer to the patient's message"),
            ("question", "Can I take ibuprofen tonight?"),
        ]
    }
    assert where["red flag"] < where["answer"] < where["question"], entries
    assert entries[where["red flag"]].startswith("Her text")
    assert entries[where["question"]].startswith("Her text")
    assert "Delivered" in entries[where["answer"]]
    assert (
        f"Received {on_the_clinic_clock(question.received_at, zone)}" in entries[where["question"]]
    )
    desk.locator("#messages").scroll_into_view_if_needed()
    seen_right(desk, "record-thread")
    assert desk.foreign == []


# ---------------------------------------------------------------- her apps


def her_app_reads(raw: str):
    """Her app asks the FHIR API for her Patient resource with the token."""
    path = reverse("fhir:search", kwargs={"resource_type": "Patient"})
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_patient_makes_a_token_for_her_app_sees_it_once_and_revokes_it(
    audited, live_server, patient
):
    signed = Client()
    signed.force_login(patient.user)
    phone = audited
    cookie = signed.cookies[settings.SESSION_COOKIE_NAME].value
    phone.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    phone.goto(live_server.url + reverse("portal:me"))
    click(phone, "main a:has-text('Your apps')")
    assert "You have made no tokens." in phone.inner_text("main")
    looks_right(phone, "her apps")

    phone.fill("input[name=name]", "")
    phone.fill("input[name=days]", "100000")
    click(phone, "main form button.primary")
    assert phone.is_visible("#id_name_error") and phone.is_visible("#id_days_error")
    assert not ApiToken.objects.filter(user=patient.user).exists()
    looks_right(phone, "her apps, refused")

    phone.fill("input[name=name]", "Health diary")
    phone.fill("input[name=days]", "30")
    click(phone, "main form button.primary")
    made = phone.locator("main section[role=status]")
    raw = made.locator("p code").first.inner_text().strip()
    assert "we show it only once" in made.inner_text()
    token = ApiToken.objects.get(user=patient.user)
    until = on_the_clinic_clock(token.expires_at, patient.preferred_location.zone)
    assert f"It works until {until}." in made.inner_text()
    looks_right(phone, "her token, shown once")  # the token and the command wrap on a phone
    shot(phone, "portal-apps-token")
    fhir = her_app_reads(raw)
    assert fhir.status_code == 200 and str(patient.public_id) in fhir.content.decode()

    phone.goto(live_server.url + reverse("portal:app-tokens"))
    assert raw not in phone.content()
    row = phone.locator("main table tbody tr", has_text="Health diary")
    assert row.locator("td[data-label='Last used']").inner_text() != "Never"  # her app read
    with phone.expect_navigation():
        row.locator("button", has_text="Revoke").click()
    assert "“Health diary” is revoked" in phone.inner_text("main")
    assert "Revoked" in phone.locator("main table tbody tr", has_text="Health diary").inner_text()
    looks_right(phone, "her apps, one revoked")
    assert her_app_reads(raw).status_code == 401
