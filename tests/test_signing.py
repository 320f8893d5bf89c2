"""Re-authentication to sign (issue 18, point 4): a chart, an amendment, a co-signature and a
candidacy decision are signed only with the signer's PIN or password typed at that moment; the
service refuses without it, on the page, in the API and when called directly, and nothing is
written. Wrong secrets are counted and pause signing; the signed record keeps what it means."""

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from glabella.core import signing
from glabella.core.access import system_actor
from glabella.core.errors import Forbidden, Throttled, ValidationFailed
from glabella.core.models import AccessLog, SigningPin
from glabella.demo.clinic import DEMO_PASSWORD
from glabella.inventory import services as stock
from glabella.inventory.models import Movement
from glabella.screening.decisions import sign_decision
from glabella.screening.intake import submit_intake
from glabella.screening.models import CandidacyDecision
from glabella.treatments import charting, cosign
from glabella.treatments.models import CoSignature, TreatmentRecord
from tests.conftest import (
    clear_for_treatment,
    future_appointment,
    intake_answers,
    proof_for,
    receive_lot,
)
from tests.test_treatments import GLABELLAR, sign_consent

LINE = [{"product": "botox_cosmetic", "area": "glabellar", "allowed": True}]


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def written():
    """What a signature would have written: records locked, stock drawn, decisions, co-signatures
    and access-log rows other than the signing checks themselves."""
    return (
        TreatmentRecord.objects.filter(status="locked").count(),
        Movement.objects.filter(kind="draw").count(),
        CandidacyDecision.objects.count(),
        CoSignature.objects.count(),
        AccessLog.objects.exclude(object_type="signing-check").count(),
    )


@pytest.fixture
def injector(actor_of):
    return actor_of("injector")


@pytest.fixture
def draft(injector, patient, clinic):
    """Grace, cleared and consented, checked in for a treatment: the injector's draft."""
    clear_for_treatment(patient)
    sign_consent(patient)
    visit = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    return charting.start(injector, visit, "botox_cosmetic")


@pytest.fixture
def vial(injector, clinic):
    lot = receive_lot(clinic, lot_number="S1", vials_received=2)
    return stock.reconstitute(injector, lot.vials.first(), "2.5")


@pytest.fixture
def saved(injector, draft, vial):
    """A draft with five points between the brows, ready to sign."""
    return charting.save_draft(injector, draft, points=GLABELLAR, vial=vial)


@pytest.fixture
def above(injector, draft, vial):
    """A draft above the label's dose: it needs the medical director's co-signature."""
    return charting.save_draft(
        injector, draft, points=[{**GLABELLAR[0], "units": "6"}] * 4, vial=vial
    )


# ---------------------------------------------------------------- the services


def test_no_signing_service_writes_without_a_proof(injector, saved, above, actor_of, patient):
    director = actor_of("medical_director")
    forged = signing.SigningProof(injector.user.pk, "password", timezone.now(), "0" * 64)
    others = proof_for(director)  # the director's proof, in the injector's hands
    before = written()
    for proof in (None, "1234", forged, others):
        with pytest.raises(ValidationFailed) as refused:
            charting.lock(injector, saved, proof=proof)
        assert list(refused.value.fields) == ["secret"]
    for proof in (None, forged, proof_for(injector)):
        with pytest.raises(ValidationFailed) as refused:
            cosign.cosign(director, above, proof=proof)
        assert "secret" in refused.value.fields
    submit_intake(director, patient, intake_answers(), via="staff")
    before = written()
    with pytest.raises(ValidationFailed) as refused:
        sign_decision(director, patient, LINE)
    assert "secret" in refused.value.fields
    assert written() == before


def test_a_proof_runs_out_after_two_minutes(injector, saved):
    proof = proof_for(injector)
    later = timezone.now() + timedelta(seconds=signing.PROOF_SECONDS + 5)
    with time_machine.travel(later), pytest.raises(ValidationFailed) as refused:
        charting.lock(injector, saved, proof=proof)
    assert "run out" in refused.value.fields["secret"][0]
    assert charting.lock(injector, saved, proof=proof_for(injector)).locked


def test_the_command_channel_signs_for_the_demo_and_nothing_else(actor_of, patient, users):
    from glabella.core.access import actor_for

    with pytest.raises(Forbidden):
        signing.command_proof(actor_of("medical_director"))
    with pytest.raises(Forbidden):
        signing.command_proof(actor_of("medical_director", channel="api"))
    at_the_server = actor_for(users["medical_director"], channel="command")
    proof = signing.command_proof(at_the_server)
    submit_intake(at_the_server, patient, intake_answers(), via="staff")
    with pytest.raises(ValidationFailed):  # a command's proof carried to a web actor
        sign_decision(actor_of("medical_director"), patient, LINE, proof=proof)
    decision = sign_decision(at_the_server, patient, LINE, proof=proof)
    assert decision.attestation.startswith("Signed by Dr. Daniel Reyes, MD: I examined")
    assert signing.command_proof(system_actor("a job")).method == "command"


def test_each_kind_of_signature_keeps_what_it_means(injector, above, actor_of, patient):
    director = actor_of("medical_director")
    cosigned = cosign.cosign(director, above, proof=proof_for(director))
    assert "approve it as it stands" in cosigned.attestation
    locked = charting.lock(injector, above, proof=proof_for(injector))
    assert locked.attestation.startswith("Signed by ")
    assert "I gave this treatment myself" in TreatmentRecord.objects.get(pk=locked.pk).attestation
    amendment = charting.amend(injector, locked)
    charting.save_draft(injector, amendment, points=GLABELLAR[:1], vial=locked.vial)
    cosign.cosign(director, amendment, proof=proof_for(director))
    amended = charting.lock(injector, amendment, proof=proof_for(injector))
    assert "this amendment adds to or corrects" in amended.attestation
    row = AccessLog.objects.filter(object_type="treatment", detail__locked=True).first()
    assert row.detail["signed_with"] == "password"


# ---------------------------------------------------------------- wrong tries and the PIN


def test_wrong_secrets_are_counted_logged_and_pause_signing(injector, saved):
    for n in range(signing.MAX_WRONG):
        with pytest.raises(ValidationFailed) as refused:
            signing.prove(injector, f"not-it-{n}")
        assert "not yours" in refused.value.fields["secret"][0]
    with pytest.raises(Throttled) as paused:
        signing.prove(injector, DEMO_PASSWORD)  # the right one, too late
    assert paused.value.field == "secret" and paused.value.status == 429
    checks = AccessLog.objects.filter(object_type="signing-check")
    assert [r.detail["outcome"] for r in checks.order_by("id")] == ["wrong"] * 5 + ["paused"]
    assert checks.first().user == injector.user
    later = timezone.now() + timedelta(seconds=signing.WINDOW_SECONDS + 1)
    with time_machine.travel(later):
        assert charting.lock(injector, saved, proof=proof_for(injector)).locked


def test_a_pin_is_set_on_its_page_hashed_and_signs(client_for, injector, saved, users):
    client = client_for("injector")
    url = reverse("core:signing-pin")
    assert b"no signing PIN yet" in client.get(url).content
    before = AccessLog.objects.count()
    for data, field in (
        ({"pin": "12a4", "again": "12a4", "password": DEMO_PASSWORD}, "pin"),
        ({"pin": "123", "again": "123", "password": DEMO_PASSWORD}, "pin"),
        ({"pin": "1234", "again": "1234", "password": DEMO_PASSWORD}, "pin"),  # a run
        ({"pin": "7777", "again": "7777", "password": DEMO_PASSWORD}, "pin"),
        ({"pin": "480915", "again": "480916", "password": DEMO_PASSWORD}, "again"),
        ({"pin": "480915", "again": "480915", "password": ""}, "password"),
    ):
        refused = client.post(url, data)
        assert refused.status_code == 422, data
        assert field in refused.context["form"].errors, data
    assert not SigningPin.objects.exists() and AccessLog.objects.count() == before
    wrong = client.post(url, {"pin": "480915", "again": "480915", "password": "nope"})
    assert wrong.status_code == 422 and not SigningPin.objects.exists()
    done = client.post(url, {"pin": "480915", "again": "480915", "password": DEMO_PASSWORD})
    assert done.status_code == 302
    pin = SigningPin.objects.get(staff=injector.staff)
    assert "480915" not in pin.pin_hash and identify_hasher(pin.pin_hash)
    assert AccessLog.objects.filter(object_type="signing-pin", action="create").count() == 1
    proof = signing.prove(injector, "480915")
    assert proof.method == "pin"
    with pytest.raises(ValidationFailed):
        signing.prove(injector, "480916")
    assert charting.lock(injector, saved, proof=proof).locked


# ---------------------------------------------------------------- the pages and the API


def test_the_chart_page_asks_the_secret_and_shows_the_signature(client_for, saved):
    client = client_for("injector")
    url = reverse("treatments:record", args=[saved.public_id])
    page = client.get(url)
    assert b'name="secret"' in page.content and b"I gave this treatment myself" in page.content
    before = written()
    for secret in ("", "wrong password"):
        refused = client.post(url, {"action": "sign", "secret": secret})
        assert refused.status_code == 422
        assert refused.context["secret_errors"] and not refused.context["sign_errors"]
    assert written() == before
    saved.refresh_from_db()
    assert not saved.locked
    assert client.post(url, {"action": "sign", "secret": DEMO_PASSWORD}).status_code == 302
    shown = client.get(url).content.decode()
    assert 'id="attestation"' in shown and "Signed by " in shown
    pdf = client.get(reverse("treatments:note-pdf", args=[saved.public_id])).content
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "I gave this treatment myself" in " ".join(text.split())


def test_the_cosign_form_asks_the_directors_secret(client_for, above):
    client = client_for("medical_director")
    url = reverse("treatments:record", args=[above.public_id])
    assert b'id="cosign-secret"' in client.get(url).content
    refused = client.post(url, {"action": "cosign", "secret": ""})
    assert refused.status_code == 422 and refused.context["cosign_secret_errors"]
    assert not CoSignature.objects.exists()
    done = client.post(url, {"action": "cosign", "secret": DEMO_PASSWORD})
    assert done.status_code == 302 and CoSignature.objects.get().attestation


def test_the_decision_page_asks_the_secret(client_for, actor_of, patient):
    submit_intake(actor_of("injector"), patient, intake_answers(), via="staff")
    client = client_for("injector")
    url = reverse("screening:sign-decision", args=[patient.public_id])
    page = client.get(url)
    assert b"I examined this patient in good faith" in page.content
    shown = page.context["form"]["shown"].value()
    data = {"shown": shown, "d_botox_cosmetic__glabellar": "allow"}
    for secret in ("", "wrong"):
        refused = client.post(url, {**data, "secret": secret})
        assert refused.status_code == 422 and refused.context["secret_errors"]
    assert not CandidacyDecision.objects.exists()
    assert client.post(url, {**data, "secret": DEMO_PASSWORD}).status_code == 302
    assert "good faith" in CandidacyDecision.objects.get().attestation


def test_the_api_refuses_to_sign_without_the_secret(client_for, saved, patient, actor_of):
    client = client_for("injector")
    url = f"/api/v1/treatments/records/{saved.public_id}/sign"
    before = written()
    for body in ({}, {"secret": ""}, {"secret": "wrong"}):
        refused = post_json(client, url, body)
        assert refused.status_code == 422
        assert "secret" in refused.json()["error"]["fields"]
    assert written() == before
    signed = post_json(client, url, {"secret": DEMO_PASSWORD})
    assert signed.status_code == 200 and "I gave this treatment" in signed.json()["attestation"]
    submit_intake(actor_of("injector"), patient, intake_answers(), via="staff")
    decisions = f"/api/v1/screening/patients/{patient.public_id}/decisions"
    refused = post_json(client, decisions, {"lines": LINE})
    assert refused.status_code == 422 and "secret" in refused.json()["error"]["fields"]
    made = post_json(client, decisions, {"lines": LINE, "secret": DEMO_PASSWORD})
    assert made.status_code == 201 and "good faith" in made.json()["attestation"]


def test_the_api_says_when_signing_is_paused(client_for, saved):
    client = client_for("injector")
    url = f"/api/v1/treatments/records/{saved.public_id}/sign"
    for _ in range(signing.MAX_WRONG):
        post_json(client, url, {"secret": "wrong"})
    paused = post_json(client, url, {"secret": DEMO_PASSWORD})
    assert paused.status_code == 429
    assert "secret" in paused.json()["error"]["fields"]
    saved.refresh_from_db()
    assert not saved.locked
