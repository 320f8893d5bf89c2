"""One dose guard verdict: the chart page's live panel, the API's check and the record signed
give the same verdict for the same plan; a signed record shows the verdict it was signed under
and never works it out again; an amendment is checked with its original in the session; and a
record is charted and signed only for a visit that took place."""

import html
import itertools
import json
import re
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from glabella.core.access import actor_for
from glabella.core.errors import ValidationFailed
from glabella.core.models import AccessLog, StaffMember
from glabella.demo.clinic import DEMO_PASSWORD as SECRET
from glabella.inventory import services as stock
from glabella.inventory.models import Movement
from glabella.messaging.models import Message
from glabella.screening.decisions import sign_decision
from glabella.screening.intake import submit_intake
from glabella.treatments import charting
from glabella.treatments.models import InjectionPoint, TreatmentRecord
from tests.conftest import (
    STAFF_EMAILS,
    future_appointment,
    intake_answers,
    make_patient,
    proof_for,
    receive_lot,
)
from tests.test_treatments import sign_consent
from tests.test_treatments_pages import rows

D = Decimal
CLEARED = ("glabellar", "lateral_canthal", "forehead")


def cleared_patient(n: int = 0):
    """A new patient answered, cleared by the medical director for BOTOX Cosmetic between the
    brows, at the crow's feet and on the forehead, and consented."""
    patient = make_patient(given_name=f"Ada{n}", email=f"ada{n}@example.com")
    director = StaffMember.objects.get(user__username=STAFF_EMAILS["medical_director"])
    actor = actor_for(director.user, ip="127.0.0.1")
    submit_intake(actor, patient, intake_answers(), via="staff")
    sign_decision(
        actor,
        patient,
        [{"product": "botox_cosmetic", "area": a, "allowed": True} for a in CLEARED],
        proof=proof_for(actor),
    )
    sign_consent(patient)
    return patient


@pytest.fixture
def injector(actor_of):
    return actor_of("injector")


@pytest.fixture
def vial(clinic, injector):
    lot = receive_lot(clinic, lot_number="V1", vial_units=100, vials_received=2)
    return stock.reconstitute(injector, lot.vials.first(), "2.5")


def draft_for(patient, clinic, injector, hours_ago: int = 0):
    """A draft on a checked-in visit that began `hours_ago` (the provider's visits never overlap:
    PostgreSQL's exclusion constraint holds them apart)."""
    appointment = future_appointment(
        patient, clinic, days=-hours_ago / 24, service_slug="neuromodulator", checked_in=True
    )
    return charting.start(injector, appointment, "botox_cosmetic")


def api_check(client, body):
    return client.post(
        "/api/v1/treatments/check", json.dumps(body), content_type="application/json"
    )


FINDING = re.compile(
    r'<li data-code="([^"]+)" data-level="([^"]+)">.*?<span class="message">(.*?)</span>', re.S
)


def panel(content: bytes) -> tuple[str | None, set]:
    """The level and findings the dose guard's panel shows, read from its HTML."""
    text = content.decode()
    start = text.index('id="verdict"')
    section = text[start : text.index("</section>", start)]
    level = re.search(r'data-level="([^"]+)"', section[: section.index(">")])
    found = {(c, lv, html.unescape(m)) for c, lv, m in FINDING.findall(section)}
    return (level.group(1) if level else None), found


def findings_of(items) -> set:
    return {(f["code"], f["level"], f["message"]) for f in items}


# ---------------------------------------------------------------- page, API, record agree

AREAS = ["glabellar", "forehead", "lateral_canthal_left", "lateral_canthal_right", "masseter"]
UNITS = ["4", "2", "2.5", "5", "8", "10", "20", "0.3", "0", "-2"]
PLANS = st.lists(st.tuples(st.sampled_from(AREAS), st.sampled_from(UNITS)), min_size=1, max_size=7)
COUNTER = itertools.count()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=PLANS)
def test_the_page_the_api_and_the_signed_record_give_one_verdict(
    plan, clinic, client_for, injector, vial
):
    n = next(COUNTER)
    patient = cleared_patient(n)
    record = draft_for(patient, clinic, injector, hours_ago=n)
    client = client_for("injector")
    body = {
        "product": "botox_cosmetic",
        "points": [{"area": a, "units": u} for a, u in plan],
        "patient": str(patient.public_id),
        "record": str(record.public_id),
    }
    # Before a vial is chosen, then with it: the page's panel and the API's check agree.
    for chosen in (None, vial):
        page = client.post(
            reverse("treatments:check", args=[record.public_id]), rows(*plan, vial=chosen)
        )
        assert page.status_code == 200
        api = api_check(client, {**body, **({"vial": str(vial.public_id)} if chosen else {})})
        assert api.status_code == 200
        verdict = (api.json()["level"], findings_of(api.json()["findings"]))
        assert panel(page.content) == verdict

    event(f"verdict with the vial: {verdict[0]}")
    # Signing stores that verdict, or refuses a block and writes nothing.
    url = reverse("treatments:record", args=[record.public_id])
    saved = client.post(url, rows(*plan, vial=vial, extra={"action": "save"}))
    if saved.status_code != 302:  # rows the chart never saves are no dose: the guard blocks
        assert verdict[0] == "block"
        return
    reasons = {f"reason_{f['code']}": "Agreed with the patient" for f in api.json()["findings"]}
    drawn = Movement.objects.count()
    signed = client.post(url, {"action": "sign", "secret": SECRET, **reasons})
    record.refresh_from_db()
    if verdict[0] == "block":
        assert signed.status_code == 422 and not record.locked
        assert Movement.objects.count() == drawn
        return
    assert signed.status_code == 302 and record.locked
    assert (record.guard_level, findings_of(record.guard)) == verdict
    assert panel(client.get(url).content) == verdict


# ---------------------------------------------------------------- a signed record


def test_a_clean_44_unit_record_signed_reads_ok_and_never_counts_its_own_units(
    clinic, client_for, injector, vial
):
    patient = cleared_patient()
    record = draft_for(patient, clinic, injector)
    points = [{"area": "glabellar", "x": "0.5", "y": "0.3", "units": "4"}] * 5
    points += [{"area": "lateral_canthal_left", "x": "0.8", "y": "0.4", "units": "4"}] * 3
    points += [{"area": "lateral_canthal_right", "x": "0.2", "y": "0.4", "units": "4"}] * 3
    charting.save_draft(injector, record, points=points, vial=vial)
    charting.lock(injector, record, proof=proof_for(injector))
    record.refresh_from_db()
    assert record.guard_level == "ok" and record.guard == []
    # Today the vial is used up: the signed record still reads as it was signed.
    stock.discard(injector, vial, "Dropped on the floor")
    response = client_for("injector").get(reverse("treatments:record", args=[record.public_id]))
    content = response.content.decode()
    assert panel(response.content) == ("ok", set())
    assert "Dose guard: ok" in content and "signed under" in content
    assert "above the label" not in content and "vial has" not in content
    assert "20 U of 20 U on the label" in content and "24 U of 24 U on the label" in content
    assert "Session</dt><dd><strong>44 U" in content


def test_a_signed_record_with_a_warning_shows_it_with_its_reason(
    clinic, client_for, injector, vial
):
    patient = cleared_patient()
    record = draft_for(patient, clinic, injector)
    # Forehead lines without the frown lines: a warning (brows may drop), signed with a reason.
    points = [{"area": "forehead", "x": "0.5", "y": "0.2", "units": "4"}] * 5
    charting.save_draft(injector, record, points=points, vial=vial)
    charting.lock(
        injector,
        record,
        reasons={"companion": "Frown lines treated elsewhere"},
        proof=proof_for(injector),
    )
    response = client_for("medical_director").get(
        reverse("treatments:record", args=[record.public_id])
    )
    level, found = panel(response.content)
    assert level == "warn" and {c for c, _, _ in found} == {"companion"}
    assert "Reason: Frown lines treated elsewhere" in response.content.decode()
    # Its panel is the stored one, also when asked for again.
    again = client_for("injector").post(reverse("treatments:check", args=[record.public_id]), {})
    assert again.status_code == 200 and panel(again.content) == (level, found)


def test_an_amendment_is_checked_with_its_original_in_the_session(
    clinic, client_for, injector, vial
):
    patient = cleared_patient()
    original = draft_for(patient, clinic, injector)
    points = [{"area": "glabellar", "x": "0.5", "y": "0.3", "units": "4"}] * 5
    charting.save_draft(injector, original, points=points, vial=vial)
    original = charting.lock(injector, original, proof=proof_for(injector))
    amendment = charting.amend(injector, original)
    page = client_for("injector").post(
        reverse("treatments:check", args=[amendment.public_id]),
        rows(("glabellar", "4"), vial=vial),
    )
    level, found = panel(page.content)
    # 24 U between the brows in the session: above the label (a ceiling, held for the medical
    # director's co-signature); not an interval of 0 days.
    assert level == "block" and {c for c, _, _ in found} == {"area-above-label"}
    assert any("24 U" in m for _, _, m in found)
    api = api_check(
        client_for("injector"),
        {
            "product": "botox_cosmetic",
            "points": [{"area": "glabellar", "units": 4}],
            "record": str(amendment.public_id),
            "vial": str(vial.public_id),
        },
    ).json()
    assert (api["level"], findings_of(api["findings"])) == (level, found)
    original.refresh_from_db()
    assert original.guard_level == "ok"


# ---------------------------------------------------------------- bad input, nothing written


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (rows(("glabellar", "lots")), "points.0.units"),
        (rows(("glabellar", "1e999")), "points.0.units"),
        (rows(("", "4")), "points.0.area"),
        (rows(("cheekbone", "4")), "points.0.area"),
        (rows(("glabellar", "4"), extra={"vial": str(uuid.uuid4())}), "vial"),
        ({"vial": ""}, "points"),
    ],
)
def test_the_live_check_refuses_bad_rows_field_by_field_and_writes_nothing(
    clinic, client_for, injector, data, field
):
    record = draft_for(cleared_patient(), clinic, injector)
    before = (InjectionPoint.objects.count(), AccessLog.objects.count())
    response = client_for("injector").post(
        reverse("treatments:check", args=[record.public_id]), data
    )
    assert response.status_code == 422
    assert f'data-field="{field}"' in response.content.decode()
    assert (InjectionPoint.objects.count(), AccessLog.objects.count()) == before


def test_the_live_check_is_for_clinicians_who_chart(clinic, client_for, injector):
    record = draft_for(cleared_patient(), clinic, injector)
    url = reverse("treatments:check", args=[record.public_id])
    assert client_for("front_desk").post(url, rows(("glabellar", "4"))).status_code == 403
    assert client_for("owner").post(url, rows(("glabellar", "4"))).status_code == 403
    assert client_for("injector").get(url).status_code == 405
    missing = reverse("treatments:check", args=[uuid.uuid4()])
    assert client_for("injector").post(missing, rows(("glabellar", "4"))).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"record": "not-a-uuid"}, "record"),
        ({"record": "unknown"}, "record"),
        ({"record": "signed"}, "record"),
        ({"product": "dysport"}, "product"),
        ({"patient": "other"}, "patient"),
        ({"points": [{"area": "glabellar", "units": "1e9"}]}, "points.0"),
    ],
)
def test_the_api_check_refuses_a_bad_record_field_by_field(
    clinic, client_for, injector, vial, other_patient, change, field
):
    patient = cleared_patient()
    record = draft_for(patient, clinic, injector)
    body = {
        "product": "botox_cosmetic",
        "points": [{"area": "glabellar", "units": 4}],
        "record": str(record.public_id),
    }
    if change.get("record") == "unknown":
        change = {"record": str(uuid.uuid4())}
    elif change.get("record") == "signed":
        charting.save_draft(
            injector,
            record,
            points=[{"area": "glabellar", "x": "0.5", "y": "0.3", "units": "4"}],
            vial=vial,
        )
        charting.lock(injector, record, proof=proof_for(injector))
    elif change.get("patient") == "other":
        change = {"patient": str(other_patient.public_id)}
    before = AccessLog.objects.count()
    response = api_check(client_for("injector"), {**body, **change})
    assert response.status_code == 422
    assert any(k.startswith(field) for k in response.json()["error"]["fields"])
    assert AccessLog.objects.count() == before


# ---------------------------------------------------------------- a visit that took place


def booked_visit(patient, clinic, starts_at):
    appointment = future_appointment(patient, clinic, days=0, service_slug="neuromodulator")
    type(appointment).objects.filter(pk=appointment.pk).update(
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        blocked_from=starts_at,
        blocked_until=starts_at + timedelta(minutes=30),
    )
    appointment.refresh_from_db()
    return appointment


def test_charting_a_visit_not_checked_in_needs_a_recorded_reason(clinic, injector, client_for):
    patient = cleared_patient()
    now = timezone.now()
    here = booked_visit(patient, clinic, now - timedelta(minutes=10))
    for reason in ("", "no", "x" * 301, "forgot\x00"):
        with pytest.raises(ValidationFailed) as refused:
            charting.start(injector, here, "botox_cosmetic", reason=reason, now=now)
        assert set(refused.value.fields) == {"reason"}
    assert not TreatmentRecord.objects.filter(appointment=here).exists()
    record = charting.start(
        injector, here, "botox_cosmetic", reason="The desk forgot to check her in", now=now
    )
    assert record.charting_reason == "The desk forgot to check her in"
    page = client_for("injector").get(reverse("treatments:record", args=[record.public_id]))
    assert "Charted without a check-in at the desk" in page.content.decode()


def test_a_visit_hours_away_is_not_charted_even_with_a_reason(clinic, injector):
    patient = cleared_patient()
    now = timezone.now()
    later = booked_visit(patient, clinic, now + timedelta(hours=3))
    with pytest.raises(ValidationFailed) as refused:
        charting.start(injector, later, "botox_cosmetic", reason="She is here early", now=now)
    assert set(refused.value.fields) == {"appointment"}


def test_the_day_page_puts_a_missing_reason_on_its_field(clinic, client_for):
    patient = cleared_patient()
    here = booked_visit(patient, clinic, timezone.now() - timedelta(minutes=5))
    client = client_for("injector")
    day = client.get(reverse("treatments:day"))
    assert f'id="reason-{here.public_id}"' in day.content.decode()
    url = reverse("treatments:start", args=[here.public_id])
    refused = client.post(url, {"product": "botox_cosmetic", "reason": ""})
    assert refused.status_code == 422
    assert f'id="reason-error-{here.public_id}"' in refused.content.decode()
    assert not TreatmentRecord.objects.filter(appointment=here).exists()
    opened = client.post(url, {"product": "botox_cosmetic", "reason": "Desk forgot the check-in"})
    assert opened.status_code == 302
    assert TreatmentRecord.objects.get(appointment=here).charting_reason


def test_a_record_for_a_visit_never_checked_in_is_not_signed_and_sends_no_aftercare(
    clinic, injector, vial
):
    """At 2:17 AM, a draft left on an 11:00 visit the desk never checked in (a record opened
    before the rule, written here straight to the table) is refused its signature."""
    patient = cleared_patient()
    zone = clinic.zone
    day = timezone.now().astimezone(zone).date() + timedelta(days=1)
    eleven = datetime.combine(day, time(11), zone)
    appointment = booked_visit(patient, clinic, eleven)
    record = TreatmentRecord.objects.create(
        appointment=appointment, patient=patient, injector=injector.staff, product="botox_cosmetic"
    )
    charting.save_draft(
        injector,
        record,
        points=[{"area": "glabellar", "x": "0.5", "y": "0.3", "units": "4"}] * 5,
        vial=vial,
    )
    before = (Message.objects.count(), Movement.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        charting.lock(
            injector,
            record,
            now=datetime.combine(day, time(2, 17), zone),
            proof=proof_for(injector),
        )
    assert "appointment" in refused.value.fields
    record.refresh_from_db()
    assert not record.locked
    assert (Message.objects.count(), Movement.objects.count()) == before


def test_a_visit_charted_with_a_reason_is_signed_and_its_aftercare_goes_out(clinic, injector, vial):
    patient = cleared_patient()
    now = timezone.now()
    here = booked_visit(patient, clinic, now - timedelta(minutes=20))
    record = charting.start(injector, here, "botox_cosmetic", reason="Desk forgot", now=now)
    charting.save_draft(
        injector,
        record,
        points=[{"area": "glabellar", "x": "0.5", "y": "0.3", "units": "4"}] * 5,
        vial=vial,
    )
    charting.lock(injector, record, now=now, proof=proof_for(injector))
    assert Message.objects.filter(about=f"treatment:{record.public_id}").exists()


# ---------------------------------------------------------------- the demo's history


def test_demo_records_carry_the_verdict_they_were_signed_under(clinic, client_for):
    """The demo's bulk history, for one patient seen 200, 170 and 20 days ago: each record holds
    the guard's verdict of its day (the second, 30 days after the first, warns with a reason),
    and its page shows that verdict, not one against today's emptied vial."""
    from glabella.demo.treatments import load_demo_treatments

    patient = make_patient(given_name="Demo")
    visits = []
    for days in (200, 170, 20):
        visit = future_appointment(patient, clinic, days=-days, service_slug="neuromodulator")
        type(visit).objects.filter(pk=visit.pk).update(status="completed")
        visits.append(visit)
    assert load_demo_treatments(timezone.now().astimezone(clinic.zone).date()) == 3
    records = [TreatmentRecord.objects.get(appointment=v) for v in visits]
    assert [r.guard_level for r in records] == ["ok", "warn", "ok"]
    assert [f["code"] for f in records[1].guard] == ["interval"]
    assert set(records[1].reasons) == {"interval"}
    for record in records:
        shown = client_for("injector").get(reverse("treatments:record", args=[record.public_id]))
        assert panel(shown.content) == (record.guard_level, findings_of(record.guard))
        assert "vial has" not in shown.content.decode()
