"""Escalation that is true: an urgent report reaches the on-call clinicians at once by text and
email, goes on to the medical director and then the owner while nobody acknowledges it, every
notice is recorded and shown, a same-day review is due the same day on the clinic's clock, and the
patient is never told of an alert that was not sent. Times are computed from a fixed `now`."""

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from glabella.aftercare import alerts, check_ins, escalation, follow_up_board, reports
from glabella.aftercare.models import Alert, CheckIn, Notice
from glabella.clinic import services as clinic_services
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.models import AccessLog, StaffMember
from glabella.core.roles import Role
from glabella.messaging import delivery
from glabella.messaging.models import Message

LA = ZoneInfo("America/Los_Angeles")
NINE_TO_SIX = [(time(9), time(18))]
SWALLOWING = {"symptoms": ["trouble_swallowing"], "severity": "moderate"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A fixed Tuesday in December 2026 (day 0), at a local time."""
    return datetime(2026, 12, 1 + day, hour, minute, tzinfo=LA)


# ---------------------------------------------------------------- the pure rules


def review(now, hours=NINE_TO_SIX):
    return escalation.review_due(
        now, LA, hours, least_left=timedelta(hours=1), after_hours=timedelta(hours=4)
    )


def test_a_review_reported_while_open_is_due_by_closing_time_today():
    due = review(at(0, 10, 15))
    assert due.due_by == at(0, 18) and due.in_hours


def test_a_review_reported_in_the_last_hour_or_after_hours_is_due_within_four_hours_and_texted():
    assert review(at(0, 17, 30)) == escalation.ReviewDue(at(0, 21, 30), False)
    assert review(at(0, 22, 0)) == escalation.ReviewDue(at(1, 2, 0), False)
    assert review(at(0, 7, 0)) == escalation.ReviewDue(at(0, 11, 0), False)


def test_a_review_on_a_closed_day_is_due_within_four_hours():
    assert review(at(5, 11, 0), hours=[]) == escalation.ReviewDue(at(5, 15, 0), False)


def test_an_alert_climbs_from_on_call_to_the_medical_director_to_the_owner_then_stops():
    now, period = at(0, 10), timedelta(minutes=15)
    assert escalation.levels_after("") == ("on_call", "medical_director", "owner")
    assert escalation.levels_after("on_call") == ("medical_director", "owner")
    assert escalation.levels_after("owner") == ()
    assert escalation.next_escalation("on_call", now, period) == at(0, 10, 15)
    assert escalation.next_escalation("owner", now, period) is None


def test_the_wait_reads_as_people_say_it():
    start = at(0, 10)
    assert escalation.waited(start, at(0, 10, 40)) == "40 min"
    assert escalation.waited(start, start + timedelta(hours=14, minutes=2)) == "14 h 02 min"
    assert escalation.waited(start, at(2, 14)) == "2 days 4 h"


# ---------------------------------------------------------------- with the database


@pytest.fixture
def day_one(treated):
    return CheckIn.objects.get(treatment=treated, day=1)


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def people(role):
    return StaffMember.objects.get(role=role)


def notices(alert, level=None):
    found = Notice.objects.filter(alert=alert)
    found = found.filter(level=level) if level else found
    return sorted((n.name, n.channel, n.to) for n in found)


def test_an_urgent_report_texts_and_emails_the_on_call_clinician_and_records_each_notice(
    day_one, now
):
    nina = day_one.treatment.appointment.location.on_call.get()
    report = reports.submit(day_one, SWALLOWING, now=now)
    alert = report.alert
    assert notices(alert) == [
        (nina.full_name, "email", nina.user.email),
        (nina.full_name, "sms", nina.mobile_phone),
    ]
    assert alert.level == "on_call" and alert.escalate_at == now + timedelta(minutes=15)
    # Each notice is the outbox row that carries it, written in the same transaction.
    for notice in Notice.objects.filter(alert=alert):
        assert notice.message.to == notice.to and notice.message.status == "queued"
        assert notice.sent_at == now
    told = Message.objects.get(topic="urgent-advice")
    assert "Call 911 now" in told.body
    assert "our clinician on call by text message and email" in told.body


def test_nobody_acknowledging_it_goes_to_the_medical_director_then_the_owner(day_one, now):
    director, owner = people(Role.MEDICAL_DIRECTOR), people(Role.OWNER)
    alert = reports.submit(day_one, SWALLOWING, now=now).alert
    assert alerts.escalate_unacknowledged(now + timedelta(minutes=14, seconds=59)) == 0
    assert notices(alert, "medical_director") == []
    assert alerts.escalate_unacknowledged(now + timedelta(minutes=15)) == 1
    assert notices(alert, "medical_director") == [
        (director.full_name, "email", director.user.email),
        (director.full_name, "sms", director.mobile_phone),
    ]
    # A second tick in the same period tells nobody twice.
    assert alerts.escalate_unacknowledged(now + timedelta(minutes=16)) == 0
    assert alerts.escalate_unacknowledged(now + timedelta(minutes=29)) == 0
    assert alerts.escalate_unacknowledged(now + timedelta(minutes=30)) == 1
    assert notices(alert, "owner") == [
        (owner.full_name, "email", owner.user.email),
        (owner.full_name, "sms", owner.mobile_phone),
    ]
    alert.refresh_from_db()
    assert alert.level == "owner" and alert.escalate_at is None
    assert alerts.escalate_unacknowledged(now + timedelta(hours=5)) == 0
    assert Notice.objects.filter(alert=alert).count() == 6
    escalated = Message.objects.filter(to=director.user.email).get()
    assert "not yet acknowledged after 15 min" in escalated.subject


def test_an_acknowledged_alert_goes_no_further(day_one, now, actor_of):
    alert = reports.submit(day_one, SWALLOWING, now=now).alert
    follow_up_board.acknowledge(
        actor_of("injector"), alert, contact="Called, sent to the ER", advice="", outcome="",
        now=now + timedelta(minutes=5),
    )  # fmt: skip
    assert alerts.escalate_unacknowledged(now + timedelta(minutes=15)) == 0
    assert notices(alert, "medical_director") == []
    alert.refresh_from_db()
    assert alert.escalate_at is None


def test_the_escalation_period_is_the_clinics_setting(day_one, now, settings):
    settings.ALERT_ESCALATION_MINUTES = 5
    alert = reports.submit(day_one, SWALLOWING, now=now).alert
    assert alert.escalate_at == now + timedelta(minutes=5)
    assert alerts.escalate_unacknowledged(now + timedelta(minutes=5)) == 1


def test_the_scheduler_tick_escalates(day_one, now):
    alert = reports.submit(day_one, SWALLOWING, now=now).alert
    done = delivery.tick(now + timedelta(minutes=15))
    assert done["alerts_escalated"] == 1
    assert notices(alert, "medical_director")


def test_with_nobody_on_call_an_urgent_report_goes_straight_to_the_medical_director(
    day_one, now, client
):
    day_one.treatment.appointment.location.on_call.clear()
    director = people(Role.MEDICAL_DIRECTOR)
    page = client.post(
        reverse("aftercare:check-in", args=[check_ins.check_in_token(day_one)]),
        {"group_urgent": ["trouble_breathing"], "severity": "severe"},
    )
    alert = Alert.objects.get()
    assert alert.level == "medical_director"
    assert {n[0] for n in notices(alert)} == {director.full_name}
    text = page.content.decode()
    assert "our medical director by text message and email" in text
    assert "clinician on call" not in text


def test_with_nobody_to_reach_the_patient_is_not_told_anyone_was_alerted(
    day_one, now, client, treated
):
    treated.appointment.location.on_call.clear()
    StaffMember.objects.filter(role__in=[Role.MEDICAL_DIRECTOR, Role.OWNER]).update(active=False)
    url = f"/api/v1/aftercare/check-ins/{check_ins.check_in_token(day_one)}"
    answer = client.post(url, json.dumps(SWALLOWING), content_type="application/json")
    assert answer.status_code == 201
    body = answer.json()
    assert body["urgency"] == "urgent" and body["clinic_alerted"] is False
    assert body["alerted"] == []
    assert "Call 911 now" in body["advice"]
    assert "has not been able to alert a clinician" in body["advice"]
    assert "We have sent an alert" not in body["advice"]
    alert = Alert.objects.get()
    assert not Notice.objects.filter(alert=alert).exists()
    assert alert.level == "" and alert.escalate_at is not None  # tried again each period
    told = Message.objects.get(topic="urgent-advice")
    assert told.body == body["advice"]


def test_the_api_answer_names_who_was_alerted(day_one, client):
    url = f"/api/v1/aftercare/check-ins/{check_ins.check_in_token(day_one)}"
    answer = client.post(url, json.dumps(SWALLOWING), content_type="application/json").json()
    assert answer["clinic_alerted"] is True and answer["alerted"] == ["on_call"]
    assert "We have sent an alert to our clinician on call" in answer["advice"]
    assert Message.objects.get(topic="urgent-advice").body == answer["advice"]


def test_urgent_advice_says_not_to_drive_while_weak_or_seeing_differently(day_one, now):
    reports.submit(day_one, SWALLOWING, now=now)
    body = Message.objects.get(topic="urgent-advice").body
    assert "Do not drive yourself." in body  # whatever the sign: help comes, or someone drives
    assert "do not drive" in body and "vision has changed" in body


def test_a_same_day_review_in_opening_hours_is_due_by_closing_and_emailed(day_one, treated):
    location = treated.appointment.location
    hours = location.opening_hours.order_by("weekday").first()
    day = timezone.now().astimezone(location.zone).date() + timedelta(days=1)
    while day.weekday() != hours.weekday:
        day += timedelta(days=1)
    reported = datetime.combine(day, hours.opens, location.zone) + timedelta(minutes=30)
    report = reports.submit(day_one, {"symptoms": ["dry_eye"], "severity": "mild"}, now=reported)
    alert = report.alert
    assert alert.due_by == datetime.combine(day, hours.closes, location.zone)
    assert {n[1] for n in notices(alert)} == {"email"}  # in hours: an email, no text
    # It goes on only when its deadline passes unacknowledged.
    assert alert.escalate_at == alert.due_by
    assert alerts.escalate_unacknowledged(alert.due_by - timedelta(minutes=1)) == 0
    assert alerts.escalate_unacknowledged(alert.due_by) == 1


def test_a_same_day_review_after_hours_texts_the_on_call_clinician(day_one, treated):
    location = treated.appointment.location
    night = datetime.combine(
        timezone.now().astimezone(location.zone).date() + timedelta(days=1), time(23), location.zone
    )
    alert = reports.submit(day_one, {"symptoms": ["dry_eye"], "severity": "mild"}, now=night).alert
    assert alert.due_by == night + timedelta(hours=4)
    assert {n[1] for n in notices(alert)} == {"email", "sms"}


# ---------------------------------------------------------------- the board and the warning


def test_the_board_shows_how_long_an_alert_has_waited_and_who_was_told(client_for, day_one):
    opened = timezone.now() - timedelta(hours=14)
    alert = reports.submit(day_one, SWALLOWING, now=opened).alert
    alerts.escalate_unacknowledged(opened + timedelta(minutes=15))
    alerts.escalate_unacknowledged(opened + timedelta(minutes=30))
    page = client_for("injector").get(reverse("aftercare:board"))
    text = page.content.decode()
    assert "waiting 14 h" in text
    for notice in Notice.objects.filter(alert=alert):
        assert notice.name in text
    assert "Medical director: Dr. Daniel Reyes by text to" in text
    assert "Owner: Olivia Marsh by email to" in text
    assert "Everyone who can be told has been told" in text
    assert "act now" not in text


def test_the_board_says_when_an_alert_goes_on_next(client_for, day_one):
    alert = reports.submit(day_one, SWALLOWING, now=timezone.now()).alert
    text = client_for("injector").get(reverse("aftercare:board")).content.decode()
    assert "it goes to the medical director at" in text
    assert "On call: Nina Patel by text to" in text
    api = client_for("injector").get("/api/v1/aftercare/alerts").json()
    assert api[0]["id"] == str(alert.public_id) and api[0]["level"] == "on_call"
    assert {(n["level"], n["channel"]) for n in api[0]["notices"]} == {
        ("on_call", "sms"),
        ("on_call", "email"),
    }


def test_the_board_warns_when_an_alert_reached_nobody(client_for, day_one, treated):
    treated.appointment.location.on_call.clear()
    StaffMember.objects.filter(role__in=[Role.MEDICAL_DIRECTOR, Role.OWNER]).update(active=False)
    reports.submit(day_one, SWALLOWING)
    text = client_for("injector").get(reverse("aftercare:board")).content.decode()
    assert "Nobody: no on-call clinician, medical director or owner" in text


@pytest.mark.parametrize("persona", ["owner", "medical_director", "injector", "front_desk"])
def test_every_staff_page_warns_while_a_location_has_nobody_on_call(client_for, clinic, persona):
    client = client_for(persona)
    for name in ("patients:search", "clinic:overview", "scheduling:calendar"):
        assert b"Nobody is on call" not in client.get(reverse(name)).content
    clinic.on_call.clear()
    for name in ("patients:search", "clinic:overview", "scheduling:calendar"):
        page = client.get(reverse(name))
        assert b"Nobody is on call" in page.content and clinic.name.encode() in page.content


def test_patient_and_public_pages_carry_no_staff_warning(client_for, clinic):
    clinic.on_call.clear()
    assert b"Nobody is on call" not in client_for("patient").get(reverse("portal:me")).content
    assert b"Nobody is on call" not in client_for("anonymous").get("/").content


# ---------------------------------------------------------------- setting who is on call


def test_the_owner_or_the_medical_director_sets_who_is_on_call(client_for, clinic):
    rosa = StaffMember.objects.get(full_name="Rosa Alvarez")
    url = reverse("clinic:on-call")
    for persona in ("owner", "medical_director"):
        page = client_for(persona).post(
            url, {"location": str(clinic.public_id), "staff": [str(rosa.public_id)]}
        )
        assert page.status_code == 302
        assert list(clinic.on_call.all()) == [rosa]
    assert AccessLog.objects.filter(object_type="location-on-call").count() == 2
    shown = client_for("front_desk").get(url)
    assert shown.status_code == 200 and b"Rosa Alvarez" in shown.content
    assert b'type="checkbox"' not in shown.content
    refused = client_for("injector").post(url, {"location": str(clinic.public_id), "staff": []})
    assert refused.status_code == 403 and list(clinic.on_call.all()) == [rosa]


@pytest.mark.parametrize(
    "who, message",
    [
        ("Frank Desmond", b"is not a clinician"),
        ("not-a-uuid", b"Choose from the clinicians listed"),
    ],
)
def test_only_reachable_clinicians_can_be_on_call(client_for, clinic, who, message):
    found = StaffMember.objects.filter(full_name=who).first()
    value = str(found.public_id) if found else who
    before = list(clinic.on_call.all())
    page = client_for("owner").post(
        reverse("clinic:on-call"), {"location": str(clinic.public_id), "staff": [value]}
    )
    assert page.status_code == 422 and message in page.content
    assert list(clinic.on_call.all()) == before


def test_a_clinician_with_no_email_or_mobile_cannot_be_on_call(actor_of, clinic):
    rosa = StaffMember.objects.get(full_name="Rosa Alvarez")
    rosa.mobile_phone = ""
    rosa.save()
    rosa.user.email = ""
    rosa.user.save()
    with pytest.raises(ValidationFailed) as refused:
        clinic_services.set_on_call(actor_of("owner"), clinic, [rosa])
    assert "no email or mobile number" in refused.value.fields["on_call"][0]
    with pytest.raises(Forbidden):
        clinic_services.set_on_call(actor_of("injector"), clinic, [])


def test_a_staff_mobile_number_is_stored_in_e164_or_refused(clinic):
    from django.core.exceptions import ValidationError

    nina = StaffMember.objects.get(full_name="Nina Patel")
    nina.mobile_phone = "(805) 555-0134"
    nina.full_clean()
    assert nina.mobile_phone == "+18055550134"
    nina.mobile_phone = "12"
    with pytest.raises(ValidationError) as refused:
        nina.full_clean()
    assert "mobile_phone" in refused.value.message_dict


# ---------------------------------------------------------------- what patients read

URGENT_SIGNS = ("swallow", "breathing", "weak", "double", "blurred", "hoarse", "bladder", "hives")


def urgent_section(text: str, heading: str = "right away") -> str:
    """The urgent part of a text: from its heading, some 1200 characters on."""
    start = text.index(heading)
    return text[start : start + 1200]


def shipped_texts():
    from glabella.aftercare.instructions import DEFAULT_BODY
    from glabella.portal.content import DEFAULTS
    from glabella.screening.consent_texts import NEUROMODULATOR

    side_effects = next(p for p in DEFAULTS if p.slug == "side-effects")
    return {
        "aftercare": DEFAULT_BODY,
        "side effects page": side_effects.body,
        "consent": NEUROMODULATOR[1],
    }


@pytest.mark.parametrize("name", ["aftercare", "side effects page", "consent"])
def test_shipped_texts_send_every_urgent_sign_to_911_and_never_say_within_a_day(name):
    text = shipped_texts()[name]
    heading = "Rare but serious" if name == "consent" else "right away"
    section = urgent_section(text, heading).lower()
    assert "911" in section
    for sign in URGENT_SIGNS:
        assert sign in section, sign
    assert "within a day" not in text.lower()
    assert "not drive" in text.lower() and "vision has changed" in text.lower()


def test_the_aftercare_each_product_sends_says_to_get_help_right_away(db, clinic):
    from glabella.aftercare import instructions
    from glabella.catalogue.products import PRODUCT_NAMES

    for product in PRODUCT_NAMES:
        texts = instructions.texts_for(product, ["glabellar"])
        body = instructions.fill(texts, {"clinic_phone": "(805) 555-0100"}).body
        assert "Get medical help right away: call 911 if" in body, product
        assert "double or" in urgent_section(body) and "do not drive" in body, product
        assert "within a day" not in body and "{clinic_phone}" not in body


def test_a_clinic_still_sending_the_old_shipped_text_gets_the_corrected_one(db):
    import importlib

    from django.apps import apps

    from glabella.aftercare.instructions import DEFAULT_BODY
    from glabella.aftercare.models import Instructions

    step = importlib.import_module("glabella.aftercare.migrations.0008_shipped_text_urgent_help")
    Instructions.objects.filter(product="", area="").delete()
    Instructions.objects.create(
        product="", area="", version=1, title="After your treatment", body=step.OLD_BODY,
        actor_label="glabella default text",
    )  # fmt: skip
    step.publish_corrected(apps, None)
    newest = Instructions.objects.filter(product="", area="").order_by("-version").first()
    assert newest.version == 2 and newest.body == DEFAULT_BODY
    # A clinic's own text is left as the clinic wrote it.
    step.publish_corrected(apps, None)
    assert Instructions.objects.filter(product="", area="").count() == 2


def test_the_check_in_and_portal_pages_say_to_call_911_and_not_to_drive(client_for, day_one):
    client = client_for("anonymous")
    for page in (
        client.get(reverse("aftercare:check-in", args=[check_ins.check_in_token(day_one)])),
        client_for("patient").get(reverse("aftercare:portal")),
    ):
        text = page.content.decode()
        assert "get medical help right away: call 911" in text
        assert "double or blurred vision" in text and "do not drive" in text
    form = client.get(reverse("aftercare:check-in", args=[check_ins.check_in_token(day_one)]))
    assert b"Serious: get medical help right away (call 911)" in form.content
    assert b"within a day" not in form.content


def test_a_treatments_follow_up_page_shows_who_was_told(client_for, day_one, treated):
    reports.submit(day_one, SWALLOWING)
    page = client_for("injector").get(reverse("aftercare:follow-up", args=[treated.public_id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Told: Nina Patel (on call) by " in text
    assert "Nina Patel (on call) by text" in text and "Nina Patel (on call) by email" in text
