"""Aftercare texts per product and area, what a treated patient is sent and sees again in the
portal, reporting from the portal between check-ins, and an adverse event opened from a report."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from glabella.aftercare import instructions, reports
from glabella.aftercare.models import Alert, CheckIn, Instructions, Report, Sent
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.models import AccessLog
from glabella.messaging.models import Message
from glabella.treatments import charting
from tests.conftest import clinic_today, make_patient, proof_for
from tests.test_treatments import GLABELLAR


def publish(actor_of, **fields):
    values = {"product": "", "area": "", "title": "Aftercare", "body": "Rest, {first_name}."}
    return instructions.publish(actor_of("medical_director"), **(values | fields))


def test_the_most_particular_text_is_chosen_and_each_treated_area_adds_its_note(actor_of):
    default = instructions.ensure_default()
    assert instructions.texts_for("dysport", ["glabellar"]) == [default]
    general = publish(actor_of, title="After any toxin")
    own = publish(actor_of, product="dysport", title="After Dysport")
    eyes = publish(actor_of, area="lateral_canthal", title="Around the eyes", body="No goggles.")
    neck = publish(actor_of, product="xeomin", area="platysma", title="Neck", body="Xeomin only.")
    assert instructions.texts_for("dysport", ["glabellar"]) == [own]
    assert instructions.texts_for("xeomin", ["glabellar"]) == [general]
    sides = ["lateral_canthal_left", "lateral_canthal_right", "other"]
    assert instructions.texts_for("dysport", sides) == [own, eyes]
    assert instructions.texts_for("dysport", ["platysma"]) == [own]
    assert instructions.texts_for("xeomin", ["platysma"]) == [general, neck]
    publish(actor_of, product="dysport", active=False)
    assert instructions.texts_for("dysport", ["glabellar"]) == [general]


def test_fields_are_filled_and_the_notes_follow_the_general_text(actor_of):
    general = publish(actor_of, title="For {first_name}", body="Call {clinic_phone}.")
    note = publish(actor_of, area="forehead", title="Forehead", body="Do not frown on purpose.")
    filled = instructions.fill(
        [general, note], {"first_name": "Ada", "clinic_phone": "555", "product": "X"}
    )
    assert filled.title == "For Ada"
    assert filled.body == "Call 555.\n\nForehead\nDo not frown on purpose.\n"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"body": "x" * 8001}, "body"),
        ({"body": "Hello {name}"}, "body"),
        ({"title": "For {patient}"}, "body"),
        ({"body": "bell \x07"}, "body"),
        ({"product": "botox"}, "product"),
        ({"area": "knee"}, "area"),
        ({"active": False}, "active"),
    ],
)
def test_a_bad_text_is_refused_by_field_and_publishes_nothing(actor_of, fields, field):
    instructions.ensure_default()
    before = Instructions.objects.count()
    with pytest.raises(ValidationFailed) as failed:
        publish(actor_of, **fields)
    assert field in failed.value.fields
    assert Instructions.objects.count() == before


def test_only_those_who_manage_the_clinics_texts_publish_and_versions_never_change(actor_of):
    with pytest.raises(Forbidden):
        instructions.publish(actor_of("injector"), product="", area="", title="t", body="b")
    first = publish(actor_of, product="jeuveau")
    second = publish(actor_of, product="jeuveau")
    assert (first.version, second.version) == (1, 2)
    with pytest.raises(ValueError):
        first.save()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE aftercare_instructions SET body = 'x' WHERE id = %s", [first.pk])
    assert AccessLog.objects.filter(object_type="aftercare-text").count() == 2


def test_the_texts_page_publishes_and_names_the_field_it_refuses(client_for):
    client = client_for("medical_director")
    url = reverse("aftercare:texts")
    page = client.get(url)
    assert page.status_code == 200 and b"Any neuromodulator" in page.content
    before = Instructions.objects.count()
    refused = client.post(url, {"product": "dysport", "area": "", "title": "", "body": "b"})
    assert refused.status_code == 422 and b"Give a title" in refused.content
    assert Instructions.objects.count() == before
    done = client.post(url, {"product": "dysport", "area": "forehead", "title": "T", "body": "B"})
    assert done.status_code == 302
    assert instructions.current("dysport", "forehead").body == "B"
    read_only = client_for("front_desk").get(url, {"product": "dysport", "area": "forehead"})
    assert b"Publish" not in read_only.content and b"B" in read_only.content


def test_a_signed_treatment_sends_its_products_text_and_area_notes_and_keeps_the_versions(
    patient, clinic, actor_of, client_for
):
    from glabella.inventory import services as stock
    from tests.conftest import clear_for_treatment, future_appointment, receive_lot
    from tests.test_treatments import sign_consent

    publish(
        actor_of, product="botox_cosmetic", title="After BOTOX Cosmetic", body="Hi {first_name}."
    )
    publish(actor_of, area="glabellar", title="Between the brows", body="No swim goggles.")
    publish(actor_of, area="forehead", title="Forehead", body="Not treated, not sent.")
    clear_for_treatment(patient)
    sign_consent(patient)
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    lot = receive_lot(clinic, lot_number="B2")
    vial = stock.reconstitute(actor_of("injector"), lot.vials.get(), "2.5")
    record = charting.start(actor_of("injector"), appointment, "botox_cosmetic")
    charting.save_draft(actor_of("injector"), record, points=GLABELLAR, vial=vial)
    charting.lock(actor_of("injector"), record, proof=proof_for(actor_of("injector")))

    message = Message.objects.get(topic="aftercare")
    assert message.subject == "After BOTOX Cosmetic"
    assert message.body == "Hi Grace.\n\nBetween the brows\nNo swim goggles.\n"
    sent = Sent.objects.get(treatment=record)
    assert {t.title for t in sent.texts.all()} == {"After BOTOX Cosmetic", "Between the brows"}

    publish(actor_of, product="botox_cosmetic", title="Newer text", body="Changed later.")
    portal = client_for("patient").get(reverse("aftercare:portal"))
    assert portal.status_code == 200
    assert b"No swim goggles." in portal.content and b"Hi Grace." in portal.content
    assert b"Changed later." not in portal.content
    assert AccessLog.objects.filter(object_type="aftercare", channel="portal").exists()


def test_a_patient_reports_from_the_portal_between_check_ins(client_for, treated, settings):
    settings.ON_CALL_EMAILS = ["oncall@example.com"]
    client = client_for("patient")
    url = reverse("aftercare:portal-report", args=[treated.public_id])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"group_review": ["drooping_eyelid"]})
    assert refused.status_code == 422 and not Report.objects.exists()
    answer = client.post(url, {"group_review": ["drooping_eyelid"], "severity": "moderate"})
    assert answer.status_code == 200 and b"a clinician needs to see this today" in answer.content
    report = Report.objects.get()
    assert report.via == "portal" and report.check_in is None and report.urgency == "review"
    assert Alert.objects.filter(report=report).exists()
    assert Message.objects.filter(to="oncall@example.com").exists()
    assert CheckIn.objects.filter(treatment=treated, status="scheduled").count() == 2
    log = AccessLog.objects.get(object_type="aftercare-report")
    assert log.channel == "portal" and log.user == treated.patient.user


def test_a_due_check_in_is_answered_from_the_portal(client_for, treated):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    CheckIn.objects.filter(pk=day_one.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client = client_for("patient")
    portal = client.get(reverse("aftercare:portal"))
    assert b"answer now" in portal.content
    url = reverse("aftercare:portal-report", args=[treated.public_id])
    assert client.post(url, {}).status_code == 200
    day_one.refresh_from_db()
    assert day_one.status == "submitted" and Report.objects.get().check_in == day_one


def test_the_portal_keeps_to_the_patients_own_recent_treatments(client_for, treated, actor_of):
    stranger = make_patient(given_name="Ivo", family_name="Marsh", email="ivo@example.com")
    url = reverse("aftercare:portal-report", args=[treated.public_id])
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("ivo@example.com", password="x" * 12)
    stranger.user = user
    stranger.save()
    from django.test import Client

    other = Client()
    other.force_login(user)
    assert other.get(url).status_code == 404
    assert other.post(url, {"severity": "mild"}).status_code == 404
    assert b"BOTOX Cosmetic" not in other.get(reverse("aftercare:portal")).content
    assert b"BOTOX Cosmetic" in client_for("patient").get(reverse("aftercare:portal")).content
    with pytest.raises(Forbidden):
        reports.report_between(actor_of("injector"), treated, {})
    later = timezone.now() + timedelta(days=reports.REPORT_WINDOW_DAYS + 1)
    assert not reports.may_report_on(treated, later)
    with pytest.raises(Conflict):
        reports.report_between(actor_of("patient", "portal"), treated, {}, now=later)
    assert not Report.objects.exists()


def test_an_adverse_event_opened_from_a_report_starts_from_what_the_patient_said(
    client_for, treated
):
    from glabella.aftercare.models import AdverseEvent

    day_one = CheckIn.objects.get(treatment=treated, day=1)
    report = reports.submit(
        day_one,
        {"symptoms": ["drooping_eyelid"], "severity": "moderate", "free_text": "left lid low"},
    )
    client = client_for("injector")
    url = reverse("aftercare:new-event", args=[treated.public_id])
    form = client.get(url, {"report": str(report.public_id)})
    assert b"left lid low" in form.content and b'value="check-in" selected' in form.content
    bad = client.post(url, {"report": str(report.public_id), "description": "short"})
    assert bad.status_code == 422 and b"Describe the event" in bad.content
    assert b'name="report"' in bad.content and not AdverseEvent.objects.exists()
    done = client.post(
        url,
        {
            "report": str(report.public_id),
            "description": "Left upper eyelid lower than the right since day 2.",
            "onset_on": clinic_today().isoformat(),
            "outcomes": ["none"],
            "causality": "probable",
            "source": "check-in",
        },
    )
    assert done.status_code == 302
    assert AdverseEvent.objects.get().report == report
