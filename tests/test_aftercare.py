"""Aftercare with the database: instructions and check-ins when a treatment is signed, the check-in
link, the report and its triage, an urgent report's alert and messages in one transaction, the
follow-up board, reminders, and bad input refused."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from glabella.aftercare import alerts, check_ins, reports
from glabella.aftercare.models import Alert, CheckIn, Report
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.messaging import delivery
from glabella.messaging.models import Message
from glabella.treatments import charting, cosign
from tests.conftest import clinic_today, make_patient, proof_for
from tests.test_treatments import GLABELLAR


def link(check_in) -> str:
    return reverse("aftercare:check-in", args=[check_ins.check_in_token(check_in)])


def written():
    return Report.objects.count(), Alert.objects.count(), Message.objects.count()


def test_a_signed_treatment_sends_aftercare_and_schedules_two_check_ins(treated):
    aftercare = Message.objects.get(topic="aftercare")
    assert aftercare.status == "queued" and "Keep your hands off" in aftercare.body
    check_ins = list(CheckIn.objects.filter(treatment=treated).order_by("day"))
    assert [c.day for c in check_ins] == [1, 14]
    reminders = Message.objects.filter(topic="check-in").order_by("due_at")
    assert [m.status for m in reminders] == ["scheduled", "scheduled"]
    assert [m.due_at for m in reminders] == [c.due_at for c in check_ins]
    local = check_ins[0].due_at.astimezone(treated.appointment.location.zone)
    assert local.hour == 10
    assert "/check-in/" in reminders[0].body


def test_an_amendment_schedules_nothing_more(treated, actor_of):
    amendment = charting.amend(actor_of("injector"), treated)
    charting.save_draft(actor_of("injector"), amendment, points=GLABELLAR[:1], vial=treated.vial)
    # 24 U between the brows in the session: above the label, so the medical director co-signs
    cosign.cosign(
        actor_of("medical_director"),
        amendment,
        note="Touch-up",
        proof=proof_for(actor_of("medical_director")),
    )
    charting.lock(actor_of("injector"), amendment, proof=proof_for(actor_of("injector")))
    assert CheckIn.objects.count() == 2 and Message.objects.filter(topic="aftercare").count() == 1


def test_a_check_in_is_answered_once_and_expected_effects_get_care_advice(client, treated):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    page = client.get(link(day_one))
    assert page.status_code == 200 and b"How are you, Grace?" in page.content
    answered = client.post(
        link(day_one),
        {"group_self_care": ["bruising"], "severity": "mild", "getting_better": "yes"},
    )
    assert answered.status_code == 200 and b"expected and usually passes" in answered.content
    report = Report.objects.get()
    assert report.urgency == "self_care" and report.symptoms == ["bruising"]
    assert not Alert.objects.exists()
    again = client.post(link(day_one), {"group_self_care": ["redness"], "severity": "mild"})
    assert b"This check-in has been answered" in again.content
    assert Report.objects.count() == 1


def test_an_urgent_report_alerts_in_the_same_transaction(client, treated, settings):
    settings.ON_CALL_EMAILS = ["oncall@example.com"]
    settings.ON_CALL_PHONES = ["+18055550199"]
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    before = Message.objects.count()
    page = client.post(
        link(day_one), {"free_text": "since this morning it is hard to swallow", "severity": ""}
    )
    assert b"Call 911 now" in page.content
    alert = Alert.objects.get()
    assert alert.urgency == "urgent" and alert.due_by == alert.opened_at
    made = Message.objects.filter(about=f"alert:{alert.public_id}")
    # The location's on-call clinician (the demo's injector) and the clinic-wide addresses.
    nina = treated.appointment.location.on_call.get()
    assert sorted((m.topic, m.channel, m.to) for m in made) == [
        ("on-call", "email", nina.user.email),
        ("on-call", "email", "oncall@example.com"),
        ("on-call", "sms", nina.mobile_phone),
        ("on-call", "sms", "+18055550199"),
        ("urgent-advice", "email", treated.patient.email),
    ]
    assert Message.objects.count() == before + 5
    # Staff messages say where to look, not what the patient said.
    assert all("swallow" not in m.body for m in made if m.topic == "on-call")
    # The worker delivers each once.
    for message in made:
        assert delivery.deliver_message(message.pk, worker="w1") == "sent"
        assert delivery.deliver_message(message.pk, worker="w2") == "not claimed"
    assert sum(1 for m in mail.outbox if "oncall@example.com" in m.to) == 1


def test_if_an_alerts_message_cannot_be_written_nothing_of_the_report_is(
    client, treated, settings, monkeypatch
):
    settings.ON_CALL_EMAILS = ["oncall@example.com"]
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    before = written()

    def broken(**kwargs):
        raise RuntimeError("the outbox is unavailable")

    monkeypatch.setattr(alerts, "queue_message", broken)
    with pytest.raises(RuntimeError):
        reports.submit(day_one, {"symptoms": ["trouble_breathing"], "severity": "severe"})
    assert written() == before
    day_one.refresh_from_db()
    assert day_one.status == "scheduled"


def test_a_review_reported_on_a_friday_night_is_due_that_night_not_on_monday(treated):
    # Was: due by 17:00 the next business day (Monday). The same-day list is due the same day.
    zone = treated.appointment.location.zone
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    friday = timezone.now().astimezone(zone) + timedelta(days=1)
    while friday.weekday() != 4:
        friday += timedelta(days=1)
    friday_night = friday.replace(hour=21, minute=30, second=0, microsecond=0)
    report = reports.submit(
        day_one, {"symptoms": ["drooping_eyelid"], "severity": "mild"}, now=friday_night
    )
    alert = report.alert
    assert report.urgency == "review"
    assert alert.due_by == friday_night + timedelta(hours=4)
    assert alert.due_by.astimezone(zone).weekday() == 5


def test_a_link_expires_is_tamper_proof_and_shows_no_one_else(client, treated, clinic):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    token = check_ins.check_in_token(day_one)
    assert client.get(reverse("aftercare:check-in", args=[token + "x"])).status_code == 404
    assert client.get(reverse("aftercare:check-in", args=["nonsense"])).status_code == 404
    other = make_patient()
    assert other.given_name.encode() not in client.get(link(day_one)).content
    CheckIn.objects.filter(pk=day_one.pk).update(due_at=timezone.now() - timedelta(days=8))
    assert client.get(reverse("aftercare:check-in", args=[token])).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"symptoms": ["itching_everywhere"], "severity": "mild"}, "symptoms"),
        ({"symptoms": "bruising", "severity": "mild"}, "symptoms"),
        ({"symptoms": ["bruising"]}, "severity"),
        ({"symptoms": ["bruising"], "severity": "awful"}, "severity"),
        ({"started_on": "2999-01-01"}, "started_on"),
        ({"started_on": "yesterday"}, "started_on"),
        ({"started_on": "2000-01-01"}, "started_on"),
        ({"getting_better": "maybe"}, "getting_better"),
        ({"effect_shows": True}, "effect_shows"),
        ({"free_text": "x" * 2001}, "free_text"),
        ({"mood": "good"}, "mood"),
    ],
)
def test_bad_answers_are_refused_field_by_field_and_write_nothing(client, treated, body, field):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    before = written()
    url = f"/api/v1/aftercare/check-ins/{check_ins.check_in_token(day_one)}"
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 422 and field in response.json()["error"]["fields"]
    assert written() == before


def test_the_api_answers_a_check_in_once(client, treated):
    day_14 = CheckIn.objects.get(treatment=treated, day=14)
    url = f"/api/v1/aftercare/check-ins/{check_ins.check_in_token(day_14)}"
    body = {"effect_shows": True, "satisfied": True}
    first = client.post(url, json.dumps(body), content_type="application/json")
    assert first.status_code == 201 and first.json()["urgency"] == "self_care"
    second = client.post(url, json.dumps(body), content_type="application/json")
    assert second.status_code == 409
    assert Report.objects.get().satisfied is True


def test_the_triage_endpoint_reads_codes_and_words_and_writes_nothing(client_for):
    before = written()
    client = client_for("front_desk")
    response = client.post(
        "/api/v1/aftercare/triage",
        json.dumps({"symptoms": ["bruising", "my eyelid droops"], "severity": "mild"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["urgency"] == "review"
    bad = client.post(
        "/api/v1/aftercare/triage",
        json.dumps({"severity": "awful", "days_since": -1}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "days_since" in bad.json()["error"]["fields"]
    long = client.post(
        "/api/v1/aftercare/triage",
        json.dumps({"symptoms": ["sore " * 200]}),
        content_type="application/json",
    )
    assert long.status_code == 422 and "symptoms" in str(long.json()["error"]["fields"])
    assert written() == before


def triage_api(client, body: dict) -> dict:
    response = client.post(
        "/api/v1/aftercare/triage", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200
    return response.json()


def test_the_triage_endpoint_reads_red_flags_in_words_and_says_how_soon_to_act(client_for):
    client = client_for("front_desk")
    before = written()
    weak = triage_api(client, {"symptoms": ["I feel very weak"]})
    assert weak["urgency"] == "urgent" and weak["within"] == "now"
    for words in ("I can't see properly", "itchy rash all over my body", "chest pain"):
        assert triage_api(client, {"free_text": words})["urgency"] == "urgent"
    codes = triage_api(client, {"symptoms": ["hoarseness", "double_vision"], "severity": "mild"})
    assert codes["urgency"] == "urgent"
    droop = triage_api(client, {"symptoms": ["eye_not_closing"], "severity": "mild"})
    assert droop["urgency"] == "review" and droop["same_day"] and droop["within"] == "same_day"
    assert droop["reasons"][0]["same_day"] is True
    unread = triage_api(
        client, {"symptoms": ["bruising", "a zorbling feeling"], "severity": "mild"}
    )
    assert unread["urgency"] == "review" and unread["unread"] == ["zorbling"]
    assert any("“zorbling”" in r["why"] for r in unread["reasons"])
    denied = triage_api(client, {"free_text": "no trouble breathing, just a bit of bruising"})
    assert denied["urgency"] == "self_care" and denied["within"] == ""
    assert written() == before


def test_the_check_in_offers_the_red_flags_in_plain_words_and_reads_them_as_the_api_does(
    client, client_for, treated
):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    page = client.get(link(day_one)).content.decode()
    for label in (
        "Serious: get medical help right away (call 911)",
        "Double vision",
        "Chest pain or a tight chest",
        "A hoarse voice, or my voice has changed or gone",
        "Feeling dizzy or lightheaded",
        "A clinician should see this today",
        "An eye that won&#x27;t close all the way",
    ):
        assert label in page, label  # fmt: skip
    assert ">chest_pain<" not in page and ">eye_not_closing<" not in page
    answers = {"group_urgent": ["fainting"], "group_review": ["lopsided_smile"], "severity": "mild"}
    client.post(link(day_one), answers)
    report = Report.objects.get()
    api = triage_api(
        client_for("front_desk"), {"symptoms": ["fainting", "lopsided_smile"], "severity": "mild"}
    )
    assert report.urgency == api["urgency"] == "urgent"
    assert [r["why"] for r in report.reasons] == [r["why"] for r in api["reasons"]]


def test_the_board_puts_urgent_first_and_a_clinician_acknowledges(client_for, treated):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    day_14 = CheckIn.objects.get(treatment=treated, day=14)
    reports.submit(day_one, {"symptoms": ["dry_eye"], "severity": "mild"})
    reports.submit(day_14, {"symptoms": ["wheezing"], "severity": "moderate"})
    client = client_for("injector")
    page = client.get(reverse("aftercare:board"))
    content = page.content.decode()
    assert content.index("Urgent") < content.index("Review")
    assert "lot A1" in content
    # The five glabellar points read as one area with its total, not five lines of 4 U.
    assert "Frown lines between the brows 20 U (5 points)." in content
    assert "brows 4 U" not in content
    urgent = Alert.objects.get(urgency="urgent")
    url = reverse("aftercare:acknowledge", args=[urgent.public_id])
    refused = client.post(url, {"contact": ""}, follow=True)
    assert b"Say who spoke to the patient" in refused.content
    client.post(url, {"contact": "Called at 10:05, NP Patel", "advice": "Sent to the ER"})
    urgent.refresh_from_db()
    assert urgent.acknowledged_at and urgent.contact.startswith("Called")
    again = client.post(url, {"contact": "again"}, follow=True)
    assert b"already been acknowledged" in again.content


def test_an_unanswered_check_in_is_reminded_once_then_missed(treated):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    later = day_one.due_at + timedelta(days=1, hours=1)
    assert check_ins.remind_and_mark_missed(later) == 1
    assert check_ins.remind_and_mark_missed(later) == 0
    assert Message.objects.filter(topic="check-in-reminder").count() == 1
    check_ins.remind_and_mark_missed(day_one.due_at + timedelta(days=8))
    day_one.refresh_from_db()
    assert day_one.status == "missed"


def test_a_check_in_whose_link_has_expired_is_not_reminded_but_listed_as_missed(treated):
    """After a pause in the scheduler, no reminder points to a link that no longer works."""
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    check_ins.remind_and_mark_missed(day_one.due_at + timedelta(days=30))
    day_one.refresh_from_db()
    assert day_one.status == "missed" and day_one.reminded_at is None
    assert not Message.objects.filter(topic="check-in-reminder").exists()


# ---------------------------------------------------------------- adverse events


def event_data(**changes):
    data = {
        "description": "Left eyelid drooping from day 3, covering part of the pupil.",
        "onset_on": clinic_today().isoformat(),
        "outcomes": ["intervention"],
        "causality": "probable",
        "source": "call",
        "weight_kg": "61.5",
        "resolved": None,
    }
    data.update(changes)
    return data


def test_a_medwatch_export_holds_what_the_record_knows_and_no_name(treated, actor_of, client_for):
    import io

    from pypdf import PdfReader

    from glabella.aftercare import medwatch

    treated.patient.medications.create(name="Lisinopril", dose="10 mg")
    event = medwatch.open_event(actor_of("injector"), treated, event_data())
    exported = medwatch.export(event)
    product = exported["D_suspect_product"]
    assert product["name"] == "BOTOX Cosmetic (onabotulinumtoxinA)"
    assert product["lot"] == "A1" and product["expiry"] == treated.vial.lot.expires_on.isoformat()
    assert product["dose_total_units"] == "20" and product["dose_by_area"] == {"glabellar": "20 U"}
    assert product["strength"] == "100 U vial, 4 U per 0.1 mL"
    assert product["date_of_use"] and product["injector"] == "Nina Patel, NP"
    assert exported["A_patient"]["identifier"].startswith("G.H.")
    assert exported["A_patient"]["weight_kg"] == "61.5"
    assert exported["F_concomitant_products"] == ["Lisinopril 10 mg"]
    assert "1-800-FDA-1088" in exported["reporting_lines"]["fda"]
    as_json = json.dumps(exported)
    assert "Grace" not in as_json and "Holloway" not in as_json
    client = client_for("medical_director")
    url = reverse("aftercare:event", args=[event.public_id])
    pdf = client.get(url, {"format": "pdf"})
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "A1" in text and "Holloway" not in text and "Grace" not in text
    assert client.get(url, {"format": "json"}).json()["D_suspect_product"]["lot"] == "A1"
    client.post(url, {"to": "fda", "on": clinic_today().isoformat()})
    event.refresh_from_db()
    assert event.reported_to_fda_on == clinic_today()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": "bad"}, "description"),
        ({"onset_on": "2999-01-01"}, "onset_on"),
        ({"onset_on": "2000-01-01"}, "onset_on"),
        ({"onset_on": "soon"}, "onset_on"),
        ({"outcomes": []}, "outcomes"),
        ({"outcomes": ["bad"]}, "outcomes"),
        ({"causality": "maybe"}, "causality"),
        ({"source": "rumour"}, "source"),
        ({"weight_kg": "900"}, "weight_kg"),
    ],
)
def test_a_bad_adverse_event_is_refused_field_by_field(treated, actor_of, change, field):
    from glabella.aftercare import medwatch
    from glabella.aftercare.models import AdverseEvent

    with pytest.raises(ValidationFailed) as failed:
        medwatch.open_event(actor_of("injector"), treated, event_data(**change))
    assert field in failed.value.fields and not AdverseEvent.objects.exists()


def test_adverse_events_are_a_clinicians_to_record(treated, actor_of, client_for):
    from glabella.aftercare import medwatch

    with pytest.raises(Forbidden):
        medwatch.open_event(actor_of("front_desk"), treated, event_data())
    page = client_for("injector").post(
        reverse("aftercare:new-event", args=[treated.public_id]),
        {**event_data(), "outcomes": ["none"], "resolved": "yes"},
    )
    assert page.status_code == 302


def test_the_safety_report_counts_side_effects_per_treatment(client_for, treated):
    from glabella.aftercare import safety

    day_one = CheckIn.objects.get(treatment=treated, day=1)
    reports.submit(day_one, {"symptoms": ["drooping_eyelid"], "severity": "mild"})
    found = safety.rows()
    assert len(found) == 1 and found[0].side_effect and found[0].units == 20
    assert found[0].areas == frozenset({"glabellar"}) and found[0].lot == "A1"
    page = client_for("medical_director").get(reverse("aftercare:safety"))
    assert page.status_code == 200 and b"100.0 %" in page.content


# ---------------------------------------------------------------- adverse events through the API

EVENTS_API = "/api/v1/aftercare/adverse-events"


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_records_lists_exports_and_marks_an_adverse_event(client_for, treated):
    from glabella.aftercare.models import AdverseEvent
    from glabella.core.models import AccessLog

    day_one = CheckIn.objects.get(treatment=treated, day=1)
    report = reports.submit(day_one, {"symptoms": ["drooping_eyelid"], "severity": "moderate"})
    client = client_for("medical_director")
    body = {**event_data(source="check-in"), "treatment": str(treated.public_id)}
    created = post_json(client, EVENTS_API, {**body, "report": str(report.public_id)})
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["report"] == str(report.public_id) and out["weight_kg"] == "61.5"
    assert out["patient"] == str(treated.patient.public_id) and out["reporter"]
    assert out["reported_to_fda_on"] is None
    event_url = f"{EVENTS_API}/{out['id']}"

    listed = client.get(EVENTS_API, {"unreported": "true"}).json()
    assert [e["id"] for e in listed] == [out["id"]]
    assert client.get(event_url).json()["description"] == body["description"]

    exported = client.get(f"{event_url}/medwatch").json()
    assert exported["D_suspect_product"]["lot"] == "A1"
    assert exported["D_suspect_product"]["manufacturer"] == "Allergan, Inc."
    assert "Grace" not in json.dumps(exported) and "Holloway" not in json.dumps(exported)
    pdf = client.get(f"{event_url}/medwatch", {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    today = clinic_today().isoformat()
    marked = post_json(client, f"{event_url}/reported", {"to": "fda", "on": today})
    assert marked.status_code == 200 and marked.json()["reported_to_fda_on"] == today
    assert client.get(EVENTS_API, {"unreported": "true"}).json() == []
    assert AdverseEvent.objects.get().reported_to_fda_on.isoformat() == today

    logged = set(
        AccessLog.objects.filter(object_type__startswith="adverse-event").values_list(
            "action", "channel"
        )
    )
    assert {("create", "api"), ("read", "api"), ("export", "api"), ("update", "api")} <= logged
    listing = (
        AccessLog.objects.filter(object_type="adverse-event", detail__has_key="patients")
        .order_by("id")
        .first()
    )
    assert listing.detail["patients"] == [str(treated.patient.public_id)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": "short"}, "description"),
        ({"onset_on": "2999-01-01"}, "onset_on"),
        ({"onset_on": 7}, "onset_on"),
        ({"outcomes": "death"}, "outcomes"),
        ({"outcomes": ["bad"]}, "outcomes"),
        ({"causality": None}, "causality"),
        ({"source": "rumour"}, "source"),
        ({"weight_kg": "heavy"}, "weight_kg"),
        ({"resolved": "maybe"}, "resolved"),
        ({"treatment": "00000000-0000-0000-0000-000000000000"}, "treatment"),
        ({"treatment": "not-an-id"}, "treatment"),
        ({"report": "00000000-0000-0000-0000-000000000000"}, "report"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_adverse_event_through_the_api_names_the_field_and_writes_nothing(
    client_for, treated, change, field
):
    from glabella.aftercare.models import AdverseEvent
    from glabella.core.models import AccessLog

    before = AccessLog.objects.count()
    body = {**event_data(), "treatment": str(treated.public_id), **change}
    answer = post_json(client_for("injector"), EVENTS_API, body)
    assert answer.status_code == 422, answer.content
    fields = answer.json()["error"]["fields"]
    assert any(key == field or key.endswith(f".{field}") for key in fields), fields
    assert not AdverseEvent.objects.exists() and AccessLog.objects.count() == before


def test_another_patients_report_cannot_be_attached_to_an_event(client_for, treated, clinic):
    from glabella.aftercare.models import AdverseEvent

    other = make_patient(given_name="Ivo", family_name="Marsh")
    stranger = Report.objects.create(patient=other, urgency="review")
    body = {**event_data(), "treatment": str(treated.public_id), "report": str(stranger.public_id)}
    answer = post_json(client_for("injector"), EVENTS_API, body)
    assert answer.status_code == 422 and "report" in answer.json()["error"]["fields"]
    assert not AdverseEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "press", "on": "2026-01-01"}, "to"),
        ({"to": "fda", "on": "2999-01-01"}, "on"),
        ({"to": "fda", "on": "2000-01-01"}, "on"),
        ({"to": "fda", "on": "yesterday"}, "on"),
        ({"to": "fda"}, "on"),
    ],
)
def test_a_bad_reported_date_is_refused_and_changes_nothing(
    client_for, treated, actor_of, body, field
):
    from glabella.aftercare import medwatch

    event = medwatch.open_event(actor_of("injector"), treated, event_data())
    answer = post_json(client_for("injector"), f"{EVENTS_API}/{event.public_id}/reported", body)
    assert answer.status_code == 422
    assert any(k.endswith(field) for k in answer.json()["error"]["fields"])
    event.refresh_from_db()
    assert event.reported_to_fda_on is None and event.reported_to_maker_on is None


def test_the_makers_line_comes_from_the_clinics_setting_before_the_one_on_file(settings):
    from glabella.aftercare.medwatch import maker_line
    from glabella.catalogue.products import Product

    assert maker_line(Product.BOTOX_COSMETIC).startswith("Allergan, Inc.: 1-800-433-8871")
    assert "check it against your label" in maker_line(Product.BOTOX_COSMETIC)
    assert "label's highlights" in maker_line(Product.JEUVEAU)
    settings.MAKER_REPORT_LINES = {"jeuveau": "1-800-555-0100"}
    assert maker_line(Product.JEUVEAU) == "Evolus, Inc.: 1-800-555-0100"


def test_a_malformed_makers_line_setting_is_refused_at_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from glabella.config import env_mapping

    monkeypatch.setenv("MAKER_REPORT_LINES", "jeuveau=1-800-555-0100,botox")
    with pytest.raises(ImproperlyConfigured):
        env_mapping("MAKER_REPORT_LINES", ["jeuveau", "botox_cosmetic"])
    monkeypatch.setenv("MAKER_REPORT_LINES", "jeuveau = 1-800-555-0100")
    assert env_mapping("MAKER_REPORT_LINES", ["jeuveau"]) == {"jeuveau": "1-800-555-0100"}
