"""Charting with the database: a record from draft to signature, the guard with the patient's
decision, consent, history and vial, locked records that never change, amendments, house doses
and the recall of a lot."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from glabella.clinic import clock
from glabella.clinic.clock import clinic_zone
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.demo.clinic import DEMO_PASSWORD as SECRET
from glabella.inventory import services as stock
from glabella.inventory.models import Movement, Vial
from glabella.screening import consents
from glabella.screening.consents import consent_text, current_documents
from glabella.screening.decisions import sign_decision
from glabella.screening.intake import submit_intake
from glabella.screening.links import forms_actor
from glabella.treatments import charting, cosign, guard, protocol, recall
from glabella.treatments.models import InjectionPoint, RecordLocked, TreatmentRecord
from tests.conftest import (
    clear_for_treatment,
    clinic_today,
    future_appointment,
    intake_answers,
    make_patient,
    proof_for,
    receive_lot,
)

D = Decimal
NOW = datetime.now(UTC).replace(microsecond=0)
GLABELLAR = [{"area": "glabellar", "x": "0.5", "y": "0.3", "units": "4"} for _ in range(5)]


def sign_consent(patient):
    """The patient signs the treatment consent as it is shown to them today (with the off-label
    paragraph when their decision has off-label lines)."""
    document = current_documents()["neuromodulator"]
    shown = consent_text(document, patient, clock.clinic_today(patient))
    return consents.sign_consent(
        forms_actor(patient, "tablet"),
        patient,
        document,
        typed_name=f"{patient.given_name} {patient.family_name}",
        strokes=[],
        adopt_typed=True,
        shown_sha256=shown.text_sha256,
        via="tablet",
    )


@pytest.fixture
def injector(actor_of):
    return actor_of("injector")


@pytest.fixture
def vial(injector, clinic):
    lot = receive_lot(clinic, lot_number="C7777", vials_received=2)
    return stock.reconstitute(injector, lot.vials.first(), "2.5", now=NOW - timedelta(hours=1))


@pytest.fixture
def ready(patient, clinic):
    """Grace: answers, a decision allowing BOTOX Cosmetic between the brows, a consent, and a
    treatment appointment."""
    clear_for_treatment(patient)
    sign_consent(patient)
    return future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )


@pytest.fixture
def draft(injector, ready):
    return charting.start(injector, ready, "botox_cosmetic")


def test_a_treatment_is_charted_checked_and_signed(injector, draft, vial):
    charting.save_draft(injector, draft, points=GLABELLAR, vial=vial, notes_before="Frowns hard")
    assert guard.check(draft, at=NOW).ok
    locked = charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    locked.refresh_from_db()
    assert locked.status == "locked" and locked.guard == [] and locked.decision is not None
    assert locked.consent is not None
    vial.refresh_from_db()
    assert vial.units_left == D(80)
    draws = Movement.objects.filter(vial=vial, kind="draw")
    assert draws.count() == 5 and {m.patient_id for m in draws} == {locked.patient_id}
    assert all(p.movement_id for p in locked.points.all())


def test_only_a_clinician_charts_and_only_a_treatment_appointment(actor_of, ready, clinic):
    with pytest.raises(Forbidden):
        charting.start(actor_of("front_desk"), ready, "botox_cosmetic")
    with pytest.raises(Forbidden):
        charting.start(actor_of("owner"), ready, "botox_cosmetic")
    consultation = future_appointment(ready.patient, clinic, days=2)
    with pytest.raises(ValidationFailed) as failed:
        charting.start(actor_of("injector"), consultation, "botox")
    assert set(failed.value.fields) == {"product", "appointment"}
    charting.start(actor_of("injector"), ready, "botox_cosmetic")
    with pytest.raises(ValidationFailed):
        charting.start(actor_of("injector"), ready, "botox_cosmetic")


@pytest.mark.parametrize(
    ("point", "field"),
    [
        ({"area": "cheekbone"}, "points.0.area"),
        ({"x": "1.5"}, "points.0.x"),
        ({"y": "-0.1"}, "points.0.y"),
        ({"x": "left"}, "points.0.x"),
        ({"units": "-4"}, "points.0.units"),
        ({"units": "0"}, "points.0.units"),
        ({"units": "0.3"}, "points.0.units"),
        ({"units": "NaN"}, "points.0.units"),
        ({"depth": "x" * 61}, "points.0.depth"),
        ({"colour": "red"}, "points.0"),
    ],
)
def test_bad_points_are_refused_field_by_field(injector, draft, point, field):
    before = InjectionPoint.objects.count()
    with pytest.raises(ValidationFailed) as failed:
        charting.save_draft(injector, draft, points=[{**GLABELLAR[0], **point}])
    assert field in failed.value.fields
    assert InjectionPoint.objects.count() == before


def test_another_products_vial_is_refused(injector, draft, clinic):
    lot = receive_lot(clinic, product="dysport", vial_units=300, lot_number="D1")
    with pytest.raises(ValidationFailed) as failed:
        charting.save_draft(injector, draft, points=GLABELLAR, vial=lot.vials.get())
    assert "never converted" in failed.value.fields["vial"][0]


def test_signing_stops_at_a_block_and_draws_nothing(injector, clinic, vial):
    patient = make_patient()
    clear_for_treatment(patient)  # a decision, but no consent
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    record = charting.start(injector, appointment, "botox_cosmetic")
    crows = [{"area": "lateral_canthal_left", "x": "0.2", "y": "0.4", "units": "4"}] * 3
    charting.save_draft(injector, record, points=GLABELLAR + crows, vial=vial)
    with pytest.raises(ValidationFailed) as failed:
        charting.lock(injector, record, now=NOW, proof=proof_for(injector))
    guard = " ".join(failed.value.fields["guard"])
    assert "No current signed consent" in guard and "crow's feet" in guard
    vial.refresh_from_db()
    assert vial.units_left == D(100) and not Movement.objects.exists()
    assert TreatmentRecord.objects.get(pk=record.pk).status == "draft"


def test_a_warning_needs_a_reason_which_is_kept(injector, clinic, vial):
    record = reported_toxin_draft(injector, clinic, [{"product": "Dysport", "date": days_ago(30)}])
    charting.save_draft(injector, record, points=GLABELLAR, vial=vial)
    with pytest.raises(ValidationFailed) as failed:
        charting.lock(injector, record, now=NOW, proof=proof_for(injector))
    assert {"reasons.interval", "reasons.cumulative-other"} <= set(failed.value.fields)
    reasons = {"interval": "Dysport 30 days ago", "cumulative-other": "Cosmetic, 50 U"}
    locked = charting.lock(injector, record, reasons=reasons, now=NOW, proof=proof_for(injector))
    locked.refresh_from_db()
    assert locked.reasons == reasons
    assert {f["code"] for f in locked.guard} == {"interval", "cumulative-other"}


def test_a_dose_above_the_label_signs_only_with_the_medical_directors_cosignature(
    actor_of, injector, draft, vial
):
    heavy = [{**GLABELLAR[0], "units": "6"} for _ in range(5)]  # 30 U
    charting.save_draft(injector, draft, points=heavy, vial=vial)
    typed = {"area-above-label": "Strong corrugators"}
    with pytest.raises(ValidationFailed) as failed:  # a typed reason never lifts a ceiling
        charting.lock(injector, draft, reasons=typed, now=NOW, proof=proof_for(injector))
    assert "above the label's 20 U" in failed.value.fields["cosign"][0]
    for persona in ("injector", "owner", "front_desk"):
        with pytest.raises(Forbidden):
            cosign.cosign(
                actor_of(persona),
                draft,
                note="Fine by me",
                now=NOW,
                proof=proof_for(actor_of(persona)),
            )
    cosigned = cosign.cosign(
        actor_of("medical_director"),
        draft,
        note="Strong frown",
        now=NOW,
        proof=proof_for(actor_of("medical_director")),
    )
    assert cosigned.staff.role == "medical_director"
    assert [c["code"] for c in cosigned.ceilings] == ["area-above-label"]
    locked = charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    locked.refresh_from_db()
    assert locked.locked and locked.guard[0]["code"] == "area-above-label"
    assert locked.reasons == {}
    with pytest.raises(RecordLocked):
        cosigned.save()


def test_a_cosignature_covers_the_plan_it_saw_and_no_other(actor_of, injector, draft, vial):
    charting.save_draft(injector, draft, points=[{**GLABELLAR[0], "units": "6"}] * 4, vial=vial)
    cosign.cosign(
        actor_of("medical_director"), draft, now=NOW, proof=proof_for(actor_of("medical_director"))
    )  # 24 U
    charting.save_draft(injector, draft, points=[{**GLABELLAR[0], "units": "6"}] * 5, vial=vial)
    with pytest.raises(ValidationFailed) as failed:
        charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    assert "cosign" in failed.value.fields  # 30 U was never co-signed
    assert draft.points.filter(movement__isnull=False).count() == 0


def test_60_units_glabellar_with_44_in_one_point_needs_the_medical_director(
    actor_of, injector, draft, vial
):
    points = [{**GLABELLAR[0], "units": "44"}, *GLABELLAR[1:]]
    charting.save_draft(injector, draft, points=points, vial=vial)
    with pytest.raises(ValidationFailed) as failed:
        charting.lock(
            injector,
            draft,
            reasons={"area-above-label": "x" * 20},
            now=NOW,
            proof=proof_for(injector),
        )
    messages = " ".join(failed.value.fields["cosign"])
    assert "60 U is above the label's 20 U" in messages and "44 U in one point" in messages
    cosign.cosign(
        actor_of("medical_director"), draft, now=NOW, proof=proof_for(actor_of("medical_director"))
    )
    assert charting.lock(injector, draft, now=NOW, proof=proof_for(injector)).locked


def test_a_plan_within_every_ceiling_needs_no_cosignature(actor_of, draft, injector, vial):
    charting.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    with pytest.raises(ValidationFailed) as failed:
        cosign.cosign(
            actor_of("medical_director"),
            draft,
            now=NOW,
            proof=proof_for(actor_of("medical_director")),
        )
    assert "record" in failed.value.fields
    with pytest.raises(ValidationFailed) as failed:
        cosign.cosign(
            actor_of("medical_director"),
            draft,
            note="x" * 301,
            now=NOW,
            proof=proof_for(actor_of("medical_director")),
        )
    assert "note" in failed.value.fields


def test_an_off_label_area_without_its_decision_holds_signing(injector, draft, vial):
    chin = [{"area": "mentalis", "x": "0.5", "y": "0.9", "units": "2"}] * 2
    charting.save_draft(injector, draft, points=GLABELLAR + chin, vial=vial)
    with pytest.raises(ValidationFailed) as failed:
        charting.lock(
            injector,
            draft,
            reasons={"off-label": "Chin dimpling"},
            now=NOW,
            proof=proof_for(injector),
        )
    assert "no candidacy decision records it" in " ".join(failed.value.fields["guard"])


def test_a_locked_record_never_changes_by_any_path(injector, draft, vial):
    charting.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    record = TreatmentRecord.objects.get(pk=draft.pk)
    with pytest.raises(ValidationFailed):
        charting.save_draft(injector, record, points=GLABELLAR[:1], vial=vial)
    with pytest.raises(ValidationFailed):
        charting.lock(injector, record, now=NOW, proof=proof_for(injector))
    record.notes_after = "changed"
    with pytest.raises(RecordLocked):
        record.save()
    with pytest.raises(RecordLocked):
        record.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentRecord.objects.filter(pk=record.pk).update(notes_after="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        InjectionPoint.objects.filter(record=record).update(units=D(40))
    with pytest.raises(IntegrityError), transaction.atomic():
        InjectionPoint.objects.create(record=record, area="glabellar", x=0, y=0, units=D(4))
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            InjectionPoint.objects.filter(record=record).delete()
    assert record.points.count() == 5


def test_an_amendment_adds_to_the_session_and_leaves_the_original(actor_of, injector, draft, vial):
    charting.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    original = charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    amendment = charting.amend(injector, TreatmentRecord.objects.get(pk=original.pk))
    touch_up = [{"area": "glabellar", "x": "0.5", "y": "0.32", "units": "2"}]
    charting.save_draft(injector, amendment, points=touch_up, vial=vial, notes_after="Asymmetry")
    with pytest.raises(ValidationFailed) as failed:  # 22 U between the brows in the session
        charting.lock(
            injector, amendment, now=NOW + timedelta(minutes=5), proof=proof_for(injector)
        )
    assert "22 U is above the label's 20 U" in failed.value.fields["cosign"][0]
    assert "reasons.interval" not in failed.value.fields  # the session is not its own past
    cosign.cosign(
        actor_of("medical_director"),
        amendment,
        now=NOW + timedelta(minutes=4),
        proof=proof_for(actor_of("medical_director")),
    )
    charting.lock(injector, amendment, now=NOW + timedelta(minutes=5), proof=proof_for(injector))
    vial.refresh_from_db()
    assert vial.units_left == D(78)
    assert [a.pk for a in TreatmentRecord.objects.get(pk=original.pk).amendments.all()] == [
        amendment.pk
    ]
    assert TreatmentRecord.objects.get(pk=original.pk).points.count() == 5


def test_an_earlier_session_and_a_reported_toxin_count_in_the_history(
    injector, actor_of, clinic, vial
):
    patient = make_patient()
    clear_for_treatment(
        patient,
        recent_toxin=True,
        toxins=[{"product": "Dysport", "date": (clinic_today() - timedelta(days=30)).isoformat()}],
    )
    sign_consent(patient)
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    record = charting.start(injector, appointment, "botox_cosmetic")
    charting.save_draft(injector, record, points=GLABELLAR, vial=vial)
    found = {f.code for f in guard.check(record, at=NOW).findings}
    assert "interval" in found


def days_ago(days: int) -> str:
    return (clinic_today() - timedelta(days=days)).isoformat()


def reported_toxin_draft(injector, clinic, toxins, product="botox_cosmetic"):
    """A new patient who reported `toxins` at intake, cleared and consented, with a draft."""
    patient = make_patient()
    clear_for_treatment(patient, product=product, recent_toxin=bool(toxins), toxins=toxins)
    sign_consent(patient)
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    return charting.start(injector, appointment, product)


def test_house_doses_are_the_medical_directors(actor_of, injector, draft, vial):
    with pytest.raises(Forbidden):
        protocol.set_house_dose(injector, "botox_cosmetic", "glabellar", "16", "House style")
    with pytest.raises(ValidationFailed) as failed:
        protocol.set_house_dose(actor_of("medical_director"), "botox_cosmetic", "chin", "-1", "")
    assert set(failed.value.fields) == {"area", "house_max", "reason"}
    protocol.set_house_dose(
        actor_of("medical_director"), "botox_cosmetic", "glabellar", "16", "Our starting dose"
    )
    charting.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    found = guard.check(draft, at=NOW).findings
    assert [(f.code, f.level, f.cosign) for f in found] == [("area-above-protocol", "block", True)]
    protocol.set_house_dose(
        actor_of("medical_director"), "botox_cosmetic", "glabellar", None, "Back to the label"
    )
    assert guard.check(draft, at=NOW).ok


def test_a_recall_finds_everyone_treated_from_the_lot_in_one_query(
    injector, draft, vial, django_assert_num_queries
):
    charting.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    with django_assert_num_queries(1):
        treated = recall.recall(vial.lot)
    assert len(treated) == 1
    assert treated[0].areas == {"glabellar": D(20)} and treated[0].units == D(20)
    assert treated[0].email == draft.patient.email
    other = Vial.objects.filter(lot=vial.lot, state="sealed").first()
    assert recall.recall(other.lot)[0].name == "Grace Holloway"


# ---------------------------------------------------------------- through the API


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_check_endpoint_answers_the_guard_and_writes_nothing(client_for, ready, vial):
    before = (TreatmentRecord.objects.count(), Movement.objects.count())
    client = client_for("injector")
    plain = post(
        client, "/api/v1/treatments/check", {"product": "dysport", "areas": {"glabellar": 50}}
    )
    assert plain.status_code == 200
    assert plain.json()["level"] == "ok" and plain.json()["clearance_checked"] is False
    mine = post(
        client,
        "/api/v1/treatments/check",
        {
            "product": "botox_cosmetic",
            "points": [{"area": "glabellar", "units": 4}] * 5
            + [{"area": "forehead", "units": 4}] * 5,
            "patient": str(ready.patient.public_id),
            "vial": str(vial.public_id),
        },
    ).json()
    assert mine["clearance_checked"] is True
    assert {f["code"] for f in mine["findings"]} == {"no-decision"}  # forehead is not allowed
    assert mine["area_totals"] == {"glabellar": "20", "forehead": "20"}
    assert (TreatmentRecord.objects.count(), Movement.objects.count()) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product": "botox", "areas": {"glabellar": 4}}, "product"),
        ({"product": "dysport"}, "points"),
        ({"product": "dysport", "areas": {"cheek": 4}}, "areas.cheek"),
        ({"product": "dysport", "points": [{"area": "cheek", "units": 4}]}, "points.0.area"),
        ({"product": "dysport", "points": [{"area": "glabellar", "units": "x"}]}, "points.0.units"),
        ({"product": "dysport", "areas": {"glabellar": 4}, "vial": "not-a-uuid"}, "vial"),
        (
            {"product": "dysport", "areas": {"glabellar": 4}, "patient": str(uuid.uuid4())},
            "patient",
        ),
    ],
)
def test_the_check_endpoint_refuses_bad_input_field_by_field(client_for, body, field):
    response = post(client_for("injector"), "/api/v1/treatments/check", body)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_charting_signing_and_amending_through_the_api(client_for, ready, vial):
    client = client_for("injector")
    started = post(
        client,
        "/api/v1/treatments/records",
        {"appointment": str(ready.public_id), "product": "botox_cosmetic"},
    )
    assert started.status_code == 201
    url = f"/api/v1/treatments/records/{started.json()['id']}"
    bad = post(
        client, f"{url}/draft", {"points": [{**GLABELLAR[0], "x": 2}], "vial": str(vial.public_id)}
    )
    assert bad.status_code == 422 and "points.0.x" in bad.json()["error"]["fields"]
    saved = post(client, f"{url}/draft", {"points": GLABELLAR, "vial": str(vial.public_id)})
    assert saved.status_code == 200 and len(saved.json()["points"]) == 5
    signed = post(client, f"{url}/sign", {"secret": SECRET})
    assert signed.status_code == 200 and signed.json()["status"] == "locked"
    assert signed.json()["lot"] == "C7777"
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(url).status_code == 405
    again = post(client, f"{url}/draft", {"points": GLABELLAR})
    assert again.status_code == 422
    amendment = post(client, f"{url}/amend", {})
    assert amendment.status_code == 201 and amendment.json()["amends"] == started.json()["id"]
    recall = client.get(f"/api/v1/treatments/stock/lots/{vial.lot.public_id}/recall")
    assert recall.status_code == 200 and recall.json()[0]["units"] == "20.00"


@pytest.mark.parametrize(
    "persona", ["patient", "front_desk", "injector", "medical_director", "owner"]
)
def test_no_role_changes_a_locked_record_through_any_endpoint(
    client_for, injector, draft, vial, persona
):
    charting.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    before = list(InjectionPoint.objects.filter(record=draft).values_list("units", flat=True))
    client = client_for(persona)
    url = f"/api/v1/treatments/records/{draft.public_id}"
    for method in ("put", "patch", "delete"):
        assert (
            getattr(client, method)(url, "{}", content_type="application/json").status_code == 405
        )
    changed = post(client, f"{url}/draft", {"points": [{**GLABELLAR[0], "units": "40"}]})
    assert changed.status_code in (403, 404, 422)
    signed_again = post(client, f"{url}/sign", {"secret": SECRET})
    assert signed_again.status_code in (403, 404, 422)
    page = client.post(
        reverse("treatments:record", args=[draft.public_id]),
        {
            "action": "save",
            "p-TOTAL_FORMS": "1",
            "p-INITIAL_FORMS": "0",
            "p-0-area": "glabellar",
            "p-0-units": "40",
        },
    )
    assert page.status_code in (302, 403)  # 302: a patient is sent to sign in as staff
    record = TreatmentRecord.objects.get(pk=draft.pk)
    assert record.status == "locked"
    assert list(record.points.values_list("units", flat=True)) == before


# ---------------------------------------------------------------- the label's limits, by API


def test_the_check_endpoint_counts_every_toxin_in_the_history_it_is_given(client_for):
    client = client_for("injector")
    day = (NOW - timedelta(days=40)).date().isoformat()
    body = {"product": "botox_cosmetic", "areas": {"glabellar": 20}}
    medical = [{"day": day, "product": "BOTOX (migraine)", "units": 385, "reported": True}]
    found = post(client, "/api/v1/treatments/check", {**body, "history": medical}).json()
    assert {f["code"]: f["level"] for f in found["findings"]} == {
        "interval": "warn",
        "cumulative": "block",
        "cumulative-other": "warn",
    }
    unknown = [{"day": day, "product": "Dysport"}]
    found = post(client, "/api/v1/treatments/check", {**body, "history": unknown}).json()
    assert "units not known" in " ".join(f["message"] for f in found["findings"])
    for units in (-5, 5001, "NaN"):
        bad = [{"day": day, "product": "Dysport", "units": units}]
        refused = post(client, "/api/v1/treatments/check", {**body, "history": bad})
        assert refused.status_code == 422
        assert "history.0.units" in refused.json()["error"]["fields"]


def test_the_check_endpoint_reads_platysma_bands_on_each_side(client_for):
    client = client_for("injector")
    neck = [{"area": "platysma", "units": 2}] * 18  # 36 U
    two_a_side = post(
        client,
        "/api/v1/treatments/check",
        {"product": "botox_cosmetic", "points": neck, "platysma_bands": {"left": 2, "right": 2}},
    ).json()
    assert two_a_side["level"] == "ok"
    one_a_side = post(
        client,
        "/api/v1/treatments/check",
        {"product": "botox_cosmetic", "points": neck, "platysma_bands": {"left": 1, "right": 1}},
    ).json()
    assert one_a_side["level"] == "block"
    assert [(f["code"], f["cosign"]) for f in one_a_side["findings"]] == [
        ("area-above-label", True)
    ]
    unknown = post(
        client, "/api/v1/treatments/check", {"product": "botox_cosmetic", "points": neck}
    )
    assert [f["code"] for f in unknown.json()["findings"]] == ["platysma-bands"]


def test_the_check_endpoint_holds_crows_feet_to_12_units_a_side(client_for):
    client = client_for("injector")
    for product in ("botox_cosmetic", "xeomin"):
        one_side = post(
            client,
            "/api/v1/treatments/check",
            {"product": product, "areas": {"lateral_canthal_left": 24}},
        ).json()
        assert one_side["level"] == "block"
        assert {f["code"] for f in one_side["findings"]} == {"side-above-label"}
        both = post(
            client,
            "/api/v1/treatments/check",
            {
                "product": product,
                "areas": {"lateral_canthal_left": 12, "lateral_canthal_right": 12},
            },
        ).json()
        assert both["level"] == "ok"  # an area's total is not one point


def test_the_check_endpoint_holds_off_label_areas_to_the_house_maximum_and_the_decision(
    client_for, ready
):
    client = client_for("injector")
    masseter = post(
        client, "/api/v1/treatments/check", {"product": "dysport", "areas": {"masseter": 150}}
    ).json()
    assert masseter["level"] == "block"
    assert {f["code"] for f in masseter["findings"]} == {"off-label", "area-above-protocol"}
    other = post(
        client,
        "/api/v1/treatments/check",
        {
            "product": "botox_cosmetic",
            "points": [{"area": "other", "units": 4}] * 25,
            "patient": str(ready.patient.public_id),
        },
    ).json()
    blocks = {(f["code"], f["cosign"]) for f in other["findings"] if f["level"] == "block"}
    assert ("no-decision", False) in blocks and ("area-above-protocol", True) in blocks


@pytest.mark.parametrize(
    ("bands", "field"),
    [
        ({"left": 3, "right": 1}, "platysma_bands.left"),
        ({"left": 1, "right": 0}, "platysma_bands.right"),
        ({"left": "1", "right": 1}, "platysma_bands.left"),
        ({"left": True, "right": 1}, "platysma_bands.left"),
        ({"left": 1}, "platysma_bands.right"),
        ({"left": 1, "right": 1, "middle": 1}, "platysma_bands.middle"),
        ("two", "platysma_bands"),
    ],
)
def test_bad_platysma_bands_are_refused_field_by_field_and_nothing_is_written(
    client_for, injector, draft, bands, field
):
    client = client_for("injector")
    checked = post(
        client,
        "/api/v1/treatments/check",
        {"product": "botox_cosmetic", "areas": {"platysma": 26}, "platysma_bands": bands},
    )
    assert checked.status_code == 422 and field in checked.json()["error"]["fields"]
    url = f"/api/v1/treatments/records/{draft.public_id}/draft"
    saved = post(client, url, {"points": GLABELLAR, "platysma_bands": bands})
    assert saved.status_code == 422 and field in saved.json()["error"]["fields"]
    draft.refresh_from_db()
    assert draft.points.count() == 0 and draft.platysma_bands is None
    with pytest.raises(ValidationFailed) as failed:
        charting.save_draft(injector, draft, points=GLABELLAR, platysma_bands=bands)
    assert any(k.startswith("platysma_bands") for k in failed.value.fields)


def test_platysma_bands_are_recorded_on_the_draft_and_sign_the_neck(
    actor_of, client_for, injector, clinic, vial
):
    record = reported_toxin_draft(injector, clinic, [])
    sign_decision(
        actor_of("medical_director"),
        record.patient,
        [{"product": "botox_cosmetic", "area": "platysma", "allowed": True}],
        proof=proof_for(actor_of("medical_director")),
    )
    client = client_for("injector")
    url = f"/api/v1/treatments/records/{record.public_id}"
    neck = [{"area": "platysma", "x": "0.4", "y": "0.95", "units": "2"}] * 13  # 26 U
    saved = post(client, f"{url}/draft", {"points": neck, "vial": str(vial.public_id)})
    assert saved.json()["platysma_bands_left"] is None
    refused = post(client, f"{url}/sign", {"secret": SECRET})
    assert refused.status_code == 422 and "guard" in refused.json()["error"]["fields"]
    bands = {"left": 1, "right": 1}
    saved = post(
        client,
        f"{url}/draft",
        {"points": neck, "vial": str(vial.public_id), "platysma_bands": bands},
    )
    assert (saved.json()["platysma_bands_left"], saved.json()["platysma_bands_right"]) == (1, 1)
    kept = post(client, f"{url}/draft", {"points": neck, "vial": str(vial.public_id)})
    assert kept.json()["platysma_bands_right"] == 1  # left out: kept as they were
    signed = post(client, f"{url}/sign", {"secret": SECRET})
    assert signed.status_code == 200 and signed.json()["status"] == "locked"


def test_the_medical_director_cosigns_through_the_api_and_no_one_else(
    client_for, injector, draft, vial
):
    charting.save_draft(injector, draft, points=[{**GLABELLAR[0], "units": "6"}] * 5, vial=vial)
    url = f"/api/v1/treatments/records/{draft.public_id}"
    typed = post(
        client_for("injector"),
        f"{url}/sign",
        {"secret": SECRET, "reasons": {"area-above-label": "Big"}},
    )
    assert typed.status_code == 422 and "cosign" in typed.json()["error"]["fields"]
    assert post(client_for("injector"), f"{url}/cosign", {"secret": SECRET}).status_code == 403
    assert post(client_for("owner"), f"{url}/cosign", {"secret": SECRET}).status_code == 403
    bad = post(
        client_for("medical_director"), f"{url}/cosign", {"secret": SECRET, "note": "x" * 301}
    )
    assert bad.status_code == 422 and "note" in bad.json()["error"]["fields"]
    assert not draft.cosignatures.exists()
    cosigned = post(
        client_for("medical_director"), f"{url}/cosign", {"secret": SECRET, "note": "Strong frown"}
    )
    assert cosigned.status_code == 201
    assert cosigned.json()["ceilings"][0]["code"] == "area-above-label"
    signed = post(client_for("injector"), f"{url}/sign", {"secret": SECRET})
    assert signed.status_code == 200 and signed.json()["status"] == "locked"


def test_house_maximums_are_listed_and_set_by_the_medical_director(client_for, injector, draft):
    listed = client_for("injector").get("/api/v1/treatments/house-limits").json()
    assert len(listed) == 6 * 11
    masseter = next(r for r in listed if (r["product"], r["area"]) == ("dysport", "masseter"))
    assert masseter["off_label"] and masseter["label_max"] is None
    assert D(masseter["area_max"]) == D(masseter["default_area_max"]) == 120
    body = {"product": "dysport", "area": "masseter", "area_max": 100, "point_max": 20}
    refused = post(
        client_for("injector"), "/api/v1/treatments/house-limits", {**body, "reason": "x"}
    )
    assert refused.status_code == 403
    made = post(
        client_for("medical_director"),
        "/api/v1/treatments/house-limits",
        {**body, "reason": "Our masseter protocol"},
    )
    assert made.status_code == 201
    assert (D(made.json()["area_max"]), D(made.json()["point_max"])) == (100, 20)
    assert protocol.protocol("dysport").house_max == {"masseter": D(100)}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"product": "botox"}, "product"),
        ({"area": "cheek"}, "area"),
        ({"area_max": -1}, "house_max"),
        ({"area_max": "NaN"}, "area_max"),
        ({"area_max": 5000}, "house_max"),
        ({"area_max": "2.555"}, "house_max"),
        ({"point_max": 0}, "point_max"),
        ({"point_max": 40}, "point_max"),  # above the area's maximum
        ({"area": "glabellar", "area_max": 21}, "house_max"),  # above the label's 20 U
        ({"reason": "no"}, "reason"),
        ({"reason": "Because\x00"}, "reason"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_house_maximum_is_refused_field_by_field_and_nothing_is_written(
    client_for, change, field
):
    from glabella.treatments.models import ProtocolChange

    before = ProtocolChange.objects.count()
    body = {"product": "botox_cosmetic", "area": "masseter", "area_max": 30, "point_max": 10}
    body = {**body, "reason": "Our protocol", **change}
    response = post(client_for("medical_director"), "/api/v1/treatments/house-limits", body)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert ProtocolChange.objects.count() == before


def test_medical_toxin_reported_with_units_counts_towards_the_cumulative_dose(
    injector, clinic, vial
):
    record = reported_toxin_draft(
        injector,
        clinic,
        [{"product": "Botox", "date": days_ago(40), "purpose": "medical", "units": "385"}],
    )
    charting.save_draft(injector, record, points=GLABELLAR, vial=vial)
    found = {f.code: f for f in guard.check(record, at=NOW).findings}
    assert found["cumulative"].level == "block" and "405 U" in found["cumulative"].message
    assert "385 U (reported)" in found["cumulative-other"].message


def test_a_reported_toxin_we_charted_ourselves_is_not_counted_twice(
    injector, actor_of, clinic, vial
):
    record = reported_toxin_draft(injector, clinic, [])
    charting.save_draft(injector, record, points=GLABELLAR, vial=vial)
    signed = charting.lock(
        injector, record, now=NOW - timedelta(days=30), proof=proof_for(injector)
    )
    day = signed.locked_at.astimezone(clinic_zone(signed.patient)).date()
    told = {"product": "BOTOX Cosmetic", "date": day.isoformat(), "units": "20"}
    submit_intake(
        actor_of("medical_director"),
        signed.patient,
        intake_answers(recent_toxin=True, toxins=[told]),
        via="staff",
    )
    past = guard.history(signed.patient, NOW)
    assert [(s.product, s.units, s.reported) for s in past] == [("botox_cosmetic", D(20), False)]
