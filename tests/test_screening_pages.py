"""Screening through its doors: the patient's forms by link and on the tablet, the staff pages,
the public self-check and the JSON API; bad input answered field by field, writing nothing."""

import json
import re
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from django.contrib import admin
from django.urls import reverse

from glabella.catalogue.areas import Area
from glabella.catalogue.products import Product, label_areas
from glabella.clinic.clock import clinic_today
from glabella.core.models import AccessLog
from glabella.demo.clinic import DEMO_PASSWORD as SECRET
from glabella.messaging.models import Message
from glabella.screening.consents import consent_text, current_documents, sha256, text_of
from glabella.screening.decisions import offered_products, sign_decision
from glabella.screening.evaluation import evaluate_patient
from glabella.screening.intake import latest_intake, submit_intake
from glabella.screening.links import forms_actor, forms_token
from glabella.screening.models import (
    CandidacyDecision,
    IntakeResponse,
    PolicyChange,
    ReviewSetting,
    SignedConsent,
)
from glabella.screening.policy import needs_review, policies_off
from tests.conftest import PERSONAS, clear_for_treatment, intake_answers, proof_for

QUESTIONS = list(intake_answers()["answers"])


def all_no_form(**extra) -> dict:
    data = {f"q_{q}": "no" for q in QUESTIONS}
    data.update(extra)
    return data


def shown_value(response) -> str:
    return re.search(rb'name="shown" value="([^"]+)"', response.content).group(1).decode()


def written():
    return (
        IntakeResponse.objects.count(),
        CandidacyDecision.objects.count(),
        SignedConsent.objects.count(),
        PolicyChange.objects.count(),
        ReviewSetting.objects.count(),
        AccessLog.objects.count(),
    )


# ---------------------------------------------------------------- the patient's forms


def test_the_forms_link_lets_the_patient_answer_and_sign_but_not_read(client, patient):
    submit_intake(
        forms_actor(patient, "link"),
        patient,
        intake_answers(medications=["Secretdrug 5 mg"]),
        via="link",
    )
    token = forms_token(patient)
    hub = client.get(reverse("screening:forms", args=[token]))
    assert hub.status_code == 200 and b"Hello Grace" in hub.content
    form = client.get(reverse("screening:forms-intake", args=[token]))
    assert b"Secretdrug" not in form.content  # a link may be forwarded: it shows no answers
    assert b"Holloway" not in form.content

    response = client.post(
        reverse("screening:forms-intake", args=[token]),
        all_no_form(medications="Aspirin 81 mg\nfish oil", moving_between_brows="on"),
    )
    assert response.status_code == 302
    latest = latest_intake(patient)
    assert latest.via == "link" and latest.answers["medications"] == ["Aspirin 81 mg", "fish oil"]
    assert latest.answers["concerns"] == [
        {"area": "between_brows", "at_rest": False, "with_expression": True}
    ]


def test_an_empty_questionnaire_gets_a_message_at_every_question(client, patient):
    before = written()
    last_log = AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    token = forms_token(patient)
    response = client.post(reverse("screening:forms-intake", args=[token]), {})
    assert response.status_code == 422
    assert response.content.count(b"Please answer this question.") == len(QUESTIONS)
    assert written()[:-1] == before[:-1]  # nothing saved
    # The form shown back is a read of her forms, logged like any page that shows a patient.
    logged = AccessLog.objects.filter(id__gt=last_log)
    assert [(r.action, r.object_type) for r in logged] == [("read", "intake")]
    assert logged.get().patient_public_id == patient.public_id


def test_impossible_dates_are_shown_at_their_field(client, patient):
    token = forms_token(patient)
    response = client.post(
        reverse("screening:forms-intake", args=[token]),
        all_no_form(q_recent_toxin="yes", toxin_0_product="Botox", toxin_0_date="2199-01-01"),
    )
    assert response.status_code == 422 and b"This date is in the future." in response.content
    assert not IntakeResponse.objects.exists()


def test_the_units_of_a_reported_toxin_are_kept_and_bad_units_shown_at_their_field(client, patient):
    token = forms_token(patient)
    url = reverse("screening:forms-intake", args=[token])
    told = dict(q_recent_toxin="yes", toxin_0_product="Botox", toxin_0_purpose="medical")
    day = (date.today() - timedelta(days=10)).isoformat()  # in the past on any clock
    bad = client.post(url, all_no_form(**told, toxin_0_date=day, toxin_0_units="lots"))
    assert bad.status_code == 422 and b"Give the units as a number" in bad.content
    assert not IntakeResponse.objects.exists()
    good = client.post(url, all_no_form(**told, toxin_0_date=day, toxin_0_units="155"))
    assert good.status_code == 302
    assert latest_intake(patient).answers["recent_toxin"][0]["units"] == "155"


def test_signing_on_the_tablet_gives_a_pdf_the_patient_can_download(client, patient):
    token = forms_token(patient, "tablet")
    url = reverse("screening:forms-consent", args=[token, "neuromodulator"])
    page = client.get(url)
    assert page.status_code == 200 and b"Rare but serious effects" in page.content
    response = client.post(
        url,
        {
            "shown": shown_value(page),
            "typed_name": "grace holloway",
            "strokes": json.dumps([[[10, 10], [400, 150]]]),
            "medication_guide": "botox_cosmetic",
        },
        HTTP_USER_AGENT="TestTablet",
    )
    assert response.status_code == 302
    consent = SignedConsent.objects.get()
    assert consent.via == "tablet" and consent.user_agent == "TestTablet"
    assert consent.medication_guide_version == (
        "BOTOX Cosmetic (onabotulinumtoxinA) Medication Guide, revised 10/2024"
    )
    hub = client.get(reverse("screening:forms", args=[token]))
    assert b"hand the tablet back" in hub.content
    pdf = client.get(reverse("screening:forms-consent-pdf", args=[token, consent.public_id]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == bytes(consent.pdf)
    assert AccessLog.objects.filter(action="export", object_type="consent").exists()


def test_a_bad_signature_is_shown_at_its_field_and_a_stale_text_is_refused(client, patient):
    token = forms_token(patient)
    url = reverse("screening:forms-consent", args=[token, "photo"])
    shown = shown_value(client.get(url))
    response = client.post(url, {"shown": shown, "typed_name": "Grace Holloway"})
    assert response.status_code == 422 and b"Draw your signature in the box" in response.content
    response = client.post(
        url,
        {"shown": "0" * 64, "typed_name": "Grace Holloway", "adopt_typed": "on"},
    )
    assert response.status_code == 409 and b"newer version" in response.content
    assert not SignedConsent.objects.exists()


def test_bad_expired_or_foreign_links_find_nothing(client, patient, other_patient, settings):
    assert client.get(reverse("screening:forms", args=["nonsense"])).status_code == 404
    forged = forms_token(patient).replace("link:", "tablet:")
    assert client.get(reverse("screening:forms", args=[forged])).status_code == 404
    consent = SignedConsent.objects.create(
        patient=other_patient,
        document=current_documents()["photo"],
        typed_name="x",
        method="typed",
        via="link",
        text_sha256="0",
        pdf=b"%PDF",
        pdf_sha256="0",
        actor_label="test",
    )
    mine = forms_token(patient)
    url = reverse("screening:forms-consent-pdf", args=[mine, consent.public_id])
    assert client.get(url).status_code == 404
    tablet = forms_token(patient, "tablet")
    settings.TABLET_LINK_MINUTES = -1  # an hour-old tablet session
    assert client.get(reverse("screening:forms", args=[tablet])).status_code == 404


def test_the_desk_hands_over_the_tablet_signed_out(client_for, patient):
    desk = client_for("front_desk")
    url = reverse("screening:patient-forms", args=[patient.public_id])
    response = desk.post(url, {"action": "tablet"})
    assert response.status_code == 302
    assert unquote(response["Location"]).startswith("/forms/tablet:")
    assert desk.get(response["Location"]).status_code == 200
    # Signed out and locked to the forms (tests/test_tablet.py): staff pages are refused.
    assert desk.get(reverse("patients:search")).status_code == 403


def test_the_desk_sends_the_forms_link(client_for, patient):
    response = client_for("front_desk").post(
        reverse("screening:patient-forms", args=[patient.public_id]), {"action": "send"}
    )
    assert response.status_code == 302
    assert Message.objects.filter(topic="forms", patient=patient).count() == 1


def test_a_signed_in_patient_opens_their_forms_from_the_portal(client_for):
    response = client_for("patient").get(reverse("screening:portal-forms"), follow=True)
    assert response.status_code == 200 and b"Your forms" in response.content


# ---------------------------------------------------------------- staff pages


def test_the_screening_page_shows_findings_entries_to_review_and_a_suggestion(
    client_for, patient, actor_of
):
    submit_intake(
        actor_of("injector"),
        patient,
        intake_answers(
            allergies=["cow's milk"],
            medications=["Zorbexin"],
            concerns=[{"area": "forehead", "at_rest": True, "with_expression": True}],
        ),
        via="staff",
    )
    page = client_for("injector").get(reverse("screening:patient", args=[patient.public_id]))
    assert page.status_code == 200
    assert b"Dysport may contain trace amounts" in page.content
    assert b"Zorbexin" in page.content and b"Entries to review" in page.content
    assert b"Neuromodulator and dermal filler" in page.content
    assert b"No decision yet" in page.content


def test_staff_enter_answers_starting_from_the_last_ones(client_for, patient, actor_of):
    submit_intake(
        actor_of("injector"), patient, intake_answers(medications=["warfarin"]), via="staff"
    )
    client = client_for("injector")
    url = reverse("screening:staff-intake", args=[patient.public_id])
    assert b"warfarin" in client.get(url).content
    response = client.post(url, all_no_form(medications="warfarin", q_heart_disease="unsure"))
    assert response.status_code == 302
    latest = latest_intake(patient)
    assert latest.via == "staff" and latest.answers["answers"]["heart_disease"] is None
    assert latest.entered_by.username.startswith("injector@")


def test_the_decision_page_signs_and_refuses_what_the_label_rules_out(
    client_for, patient, actor_of
):
    submit_intake(
        actor_of("injector"), patient, intake_answers(allergies=["cow's milk"]), via="staff"
    )
    client = client_for("injector")
    url = reverse("screening:sign-decision", args=[patient.public_id])
    shown = shown_value(client.get(url))
    refused = client.post(url, {"secret": SECRET, "shown": shown, "d_dysport__glabellar": "allow"})
    assert refused.status_code == 422 and b"cannot be allowed" in refused.content
    stale = client.post(
        url, {"secret": SECRET, "shown": "stale", "d_botox_cosmetic__glabellar": "allow"}
    )
    assert stale.status_code == 409 and b"changed while you were deciding" in stale.content
    assert not CandidacyDecision.objects.exists()
    signed = client.post(
        url,
        {
            "secret": SECRET,
            "shown": shown,
            "d_botox_cosmetic__glabellar": "allow",
            "d_botox_cosmetic__forehead": "decline",
            "r_botox_cosmetic__forehead": "Heavy brows",
        },
    )
    assert signed.status_code == 302
    decision = CandidacyDecision.objects.get()
    assert decision.lines.count() == 2 and decision.signer_label == "Nina Patel, NP"


def test_policies_are_switched_by_the_medical_director_only(client_for):
    url = reverse("screening:policies")
    data = {"rule": "policy-pregnancy", "enabled": "0", "reason": "Decided at the board"}
    assert client_for("injector").post(url, data).status_code == 403
    assert client_for("owner").post(url, data).status_code == 403
    assert not PolicyChange.objects.exists()
    assert client_for("medical_director").post(url, data).status_code == 302
    assert "policy-pregnancy" in policies_off()
    page = client_for("injector").get(url)
    assert b"Decided at the board" in page.content and b"Switch" not in page.content


def test_consent_texts_are_published_by_the_medical_director(client_for):
    url = reverse("screening:consent-documents")
    data = {"kind": "photo", "title": "Photographs", "body": "Heading\n" + "Words here. " * 10}
    assert client_for("injector").post(url, data).status_code == 403
    response = client_for("medical_director").post(url, data)
    assert response.status_code == 302
    assert current_documents()["photo"].version == 2
    bad = client_for("medical_director").post(url, {**data, "body": "short"})
    assert bad.status_code == 422 and b"50 to 20,000" in bad.content


def test_signed_records_are_not_in_django_admin():
    assert not [m for m in admin.site._registry if m._meta.app_label == "screening"]


# ---------------------------------------------------------------- the public self-check


def test_the_self_check_answers_and_keeps_nothing(client, db):
    before = written()
    answers = {
        "age": "adult",
        "allergy": "no",
        "nerves": "no",
        "infection": "no",
        "pregnant": "no",
        "recent": "no",
        "lines": "moving",
    }
    good = client.post(reverse("screening:self-check"), answers)
    assert b"You may be a good candidate." in good.content
    talk = client.post(reverse("screening:self-check"), {**answers, "pregnant": "yes"})
    assert b"Please talk to us before booking." in talk.content
    missing = client.post(reverse("screening:self-check"), {"age": "adult"})
    assert missing.status_code == 422 and b"Please answer every question." in missing.content
    assert written() == before


# ---------------------------------------------------------------- the API

EVALUATE = "/api/v1/screening/evaluate"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_evaluate_returns_the_verdict_with_each_finding_and_writes_nothing(client_for):
    before = written()
    client = client_for("front_desk")
    intake = {**intake_answers(allergies=["human albumin"]), "birth_date": "1980-02-29"}
    daxxify = post(client, EVALUATE, {"product": "daxxify", "intake": intake}).json()
    assert daxxify["outcome"] == "eligible" and daxxify["findings"] == []
    botox = post(client, EVALUATE, {"product": "botox_cosmetic", "intake": intake}).json()
    assert botox["outcome"] == "not_eligible"
    assert botox["findings"][0] == {
        "rule": "albumin-hypersensitivity",
        "severity": "contraindication",
        "message": "Allergic to human albumin, an ingredient of this product.",
        "source": "US prescribing information, 4 Contraindications; 11 Description "
        "(Letybo: EU SmPC, 6.1 Excipients)",
        "because": "allergy: human albumin",
        "areas": [],
    }
    assert written() == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"product": "botox", "intake": {}}, {"product", "intake.birth_date", "intake.answers"}),
        ({"product": ["dysport"], "intake": {}}, {"product"}),
        ({"intake": {}}, {"product"}),
        (
            {"product": "dysport", "intake": {**intake_answers(), "birth_date": "2199-01-01"}},
            {"intake.birth_date"},
        ),
        (
            {"product": "dysport", "intake": {**intake_answers(), "birth_date": "1990-02-30"}},
            {"intake.birth_date"},
        ),
        (
            {
                "product": "dysport",
                "intake": {
                    **intake_answers(
                        recent_toxin=True, toxins=[{"product": "B", "date": "2999-01-01"}]
                    ),
                    "birth_date": "1990-01-01",
                },
            },
            {"intake.recent_toxin.0.date"},
        ),
        (
            {"product": "dysport", "intake": {"answers": {}, "birth_date": "1990-01-01"}},
            {f"intake.answers.{q}" for q in QUESTIONS},
        ),
        ({"product": "dysport", "intake": [], "extra": 1}, {"intake", "extra"}),
    ],
)
def test_evaluate_refuses_bad_input_field_by_field(client_for, body, fields):
    response = post(client_for("injector"), EVALUATE, body)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == fields


def test_intake_and_decisions_through_the_api(client_for, patient):
    base = f"/api/v1/screening/patients/{patient.public_id}"
    mine = post(client_for("patient"), f"{base}/intake", {"answers": intake_answers()})
    assert mine.status_code == 201 and mine.json()["via"] == "portal"
    desk = post(client_for("front_desk"), f"{base}/intake", {"answers": intake_answers()})
    assert desk.status_code == 403
    bad = post(client_for("injector"), f"{base}/intake", {"answers": {"answers": {}}})
    assert bad.status_code == 422 and "answers.pregnant" in bad.json()["error"]["fields"]

    client = client_for("injector")
    key = client.get(f"{base}/screening").json()["signature_key"]
    line = {"product": "xeomin", "area": "glabellar", "allowed": True}
    signed = post(client, f"{base}/decisions", {"secret": SECRET, "lines": [line], "shown": key})
    assert signed.status_code == 201 and signed.json()["lines"][0]["verdict"] == "eligible"
    wrong = post(
        client, f"{base}/decisions", {"secret": SECRET, "lines": [{**line, "area": "jawline"}]}
    )
    assert wrong.status_code == 422 and "lines.0.area" in wrong.json()["error"]["fields"]
    # Platysma is off Xeomin's label: only as an off-label line with its rationale.
    off = post(
        client, f"{base}/decisions", {"secret": SECRET, "lines": [{**line, "area": "platysma"}]}
    )
    assert off.status_code == 422 and "lines.0.off_label" in off.json()["error"]["fields"]
    listed = client_for("patient").get(f"{base}/decisions").json()
    assert [d["status"] for d in listed] == ["current"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_no_role_can_change_a_signed_record_through_any_endpoint(
    client_for, patient, persona, method
):
    decision = clear_for_treatment(patient)
    before = (decision.signer_label, decision.lines.get().allowed, written())
    client = client_for(persona)
    base = f"/api/v1/screening/patients/{patient.public_id}"
    body = json.dumps({"lines": [], "note": "changed"})
    for path in ("intake", "decisions", "consents", "screening"):
        response = getattr(client, method)(f"{base}/{path}", body, content_type="application/json")
        assert response.status_code == 405, (persona, method, path, response.status_code)
    decision.refresh_from_db()
    assert (decision.signer_label, decision.lines.get().allowed, written()) == before


def test_a_contraindicated_product_is_offered_only_to_decline(client_for, patient, actor_of):
    submit_intake(actor_of("injector"), patient, intake_answers(allergy_milk=True), via="staff")
    page = client_for("injector").get(reverse("screening:sign-decision", args=[patient.public_id]))
    content = page.content.decode()
    assert 'name="d_dysport__glabellar" value="allow"' not in content
    assert 'name="d_dysport__glabellar" value="decline"' in content
    assert 'name="d_xeomin__glabellar" value="allow"' in content


# ---------------------------------------------------------------- as a medical director sets it


def test_the_medical_director_sets_which_label_precautions_need_review_on_the_page(
    client_for, patient, actor_of
):
    url = reverse("screening:policies")
    data = {
        "what": "review",
        "rule": "muscle-relaxants",
        "needs_review": "0",
        "reason": "Low doses in the face",
    }
    assert client_for("injector").post(url, data).status_code == 403
    assert client_for("owner").post(url, data).status_code == 403
    assert not ReviewSetting.objects.exists()
    assert "muscle-relaxants" in needs_review()
    assert client_for("medical_director").post(url, data).status_code == 302
    assert "muscle-relaxants" not in needs_review()
    assert AccessLog.objects.filter(object_type="screening-review").count() == 1
    submit_intake(
        actor_of("injector"), patient, intake_answers(medications=["baclofen"]), via="staff"
    )
    verdict = evaluate_patient(patient, clinic_today(patient))
    assert {v.outcome.value for v in verdict.values()} == {"eligible"}
    assert verdict[Product.XEOMIN].findings[0].severity == "warning"
    page = client_for("injector").get(url)
    assert b"Low doses in the face" in page.content and b"Warning only" in page.content
    assert b"Require review" not in page.content  # only the medical director changes it


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rule": "policy-pregnancy"}, "rule"),  # a clinic policy, not a label precaution
        ({"rule": "bleeding-risk"}, "rule"),  # information, never a hold
        ({"rule": "toxin-hypersensitivity"}, "rule"),  # a contraindication
        ({"reason": "no"}, "reason"),
        ({"reason": "Because\x00"}, "reason"),
        ({"reason": "x" * 301}, "reason"),
        ({"needs_review": "maybe"}, "needs_review"),
    ],
)
def test_the_review_settings_page_refuses_bad_input_at_its_field(client_for, change, field):
    before = written()
    data = {"what": "review", "rule": "dry-eye", "needs_review": "1", "reason": "Our eyes team"}
    response = client_for("medical_director").post(
        reverse("screening:policies"), {**data, **change}
    )
    assert response.status_code == 422
    assert field in response.context["review_form"].errors
    assert written() == before


REVIEW = "/api/v1/screening/review-settings"


def test_the_review_settings_through_the_api(client_for):
    listed = client_for("injector").get(REVIEW).json()
    dry = next(r for r in listed if r["rule"] == "dry-eye")
    assert dry["needs_review"] is False and dry["label_default"] is False
    assert dry["areas"] == ["lateral_canthal"]
    assert all(r["needs_review"] == r["label_default"] for r in listed)
    body = {"rule": "dry-eye", "needs_review": True, "reason": "Ophthalmology asked"}
    assert post(client_for("injector"), REVIEW, body).status_code == 403
    assert post(client_for("owner"), REVIEW, body).status_code == 403
    made = post(client_for("medical_director"), REVIEW, body)
    assert made.status_code == 201 and made.json()["needs_review"] is True
    assert made.json()["changed_by"] and made.json()["reason"] == "Ophthalmology asked"
    assert "dry-eye" in needs_review()
    intake = {**intake_answers(conditions=["dry eye"]), "birth_date": "1980-01-01"}
    verdict = post(client_for("injector"), EVALUATE, {"product": "xeomin", "intake": intake})
    assert verdict.json()["outcome"] == "review"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"rule": "nope", "needs_review": True, "reason": "Because"}, {"rule"}),
        ({"rule": ["dry-eye"], "needs_review": True, "reason": "Because"}, {"rule"}),
        ({"rule": "dry-eye", "needs_review": "yes", "reason": "Because"}, {"needs_review"}),
        ({"rule": "dry-eye", "needs_review": None, "reason": "Because"}, {"needs_review"}),
        ({"rule": "dry-eye", "needs_review": True, "reason": ""}, {"reason"}),
        ({"rule": "dry-eye", "needs_review": True, "reason": 12345}, {"reason"}),
        ({"rule": "dry-eye", "needs_review": True, "reason": "x" * 301}, {"reason"}),
    ],
)
def test_the_review_settings_api_refuses_bad_input_field_by_field(client_for, body, fields):
    before = written()
    response = post(client_for("medical_director"), REVIEW, body)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == fields
    assert written() == before


def test_evaluate_names_the_blood_thinner_and_does_not_hold_the_patient(client_for):
    intake = {**intake_answers(medications=["Eliquis 5 mg"]), "birth_date": "1970-06-01"}
    for product in ("botox_cosmetic", "dysport", "xeomin", "jeuveau", "daxxify", "letybo"):
        verdict = post(client_for("injector"), EVALUATE, {"product": product, "intake": intake})
        body = verdict.json()
        assert body["outcome"] == "eligible"
        assert body["findings"][0]["severity"] == "information"
        assert body["findings"][0]["message"].startswith(
            "Eliquis (apixaban): bruising is more likely"
        )


def test_evaluate_does_not_hold_a_man_who_left_pregnancy_blank(client_for):
    blank = intake_answers(pregnant=None, breastfeeding=None)
    for where in ("top", "intake"):
        intake = {**blank, "birth_date": "1980-01-01"}
        body = {"product": "jeuveau", "intake": intake}
        if where == "top":
            body["sex"] = "male"
        else:
            intake["sex"] = "male"
        assert post(client_for("injector"), EVALUATE, body).json()["outcome"] == "eligible"
    woman = {"product": "jeuveau", "sex": "female", "intake": {**blank, "birth_date": "1980-01-01"}}
    assert post(client_for("injector"), EVALUATE, woman).json()["outcome"] == "review"
    unsaid = {"product": "jeuveau", "intake": {**blank, "birth_date": "1980-01-01"}}
    assert post(client_for("injector"), EVALUATE, unsaid).json()["outcome"] == "review"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"sex": "robot"}, {"sex"}),
        ({"sex": 1}, {"sex"}),
        ({"intake_sex": "M"}, {"intake.sex"}),
        ({"intake_sex": ["male"]}, {"intake.sex"}),
    ],
)
def test_evaluate_refuses_a_sex_it_does_not_know(client_for, change, fields):
    intake = {**intake_answers(), "birth_date": "1980-01-01"}
    body = {"product": "dysport", "intake": intake}
    if "intake_sex" in change:
        intake["sex"] = change["intake_sex"]
    else:
        body.update(change)
    response = post(client_for("injector"), EVALUATE, body)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == fields


def test_a_male_patient_on_record_who_left_pregnancy_blank_is_not_held(client_for, actor_of):
    from tests.conftest import make_patient

    man = make_patient(given_name="Tom", family_name="Berg", sex="male", email="tom@example.com")
    submit_intake(
        actor_of("injector"),
        man,
        intake_answers(pregnant=None, breastfeeding=None),
        via="staff",
    )
    verdicts = evaluate_patient(man, clinic_today(man))
    assert {v.outcome.value for v in verdicts.values()} == {"eligible"}


def test_an_off_label_line_through_the_api_returns_its_record(client_for, patient, actor_of):
    submit_intake(actor_of("injector"), patient, intake_answers(), via="staff")
    base = f"/api/v1/screening/patients/{patient.public_id}"
    client = client_for("medical_director")
    line = {"product": "botox_cosmetic", "area": "masseter", "allowed": True}
    before = written()
    bad = post(client, f"{base}/decisions", {"secret": SECRET, "lines": [line]})
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"lines.0.off_label"}
    assert written() == before
    why = "Jaw clenching; examined, risks discussed"
    signed = post(
        client,
        f"{base}/decisions",
        {"secret": SECRET, "lines": [{**line, "off_label": True, "rationale": why}]},
    )
    assert signed.status_code == 201
    body = signed.json()
    assert body["lines"][0]["off_label"] is True and body["lines"][0]["rationale"] == why
    [record] = body["off_label"]
    assert record["area"] == "masseter" and record["rationale"] == why
    assert (
        record["decided_by"] == "Dr. Daniel Reyes, MD" and record["area_name"] == "Jaw (masseter)"
    )


def test_the_decision_page_signs_an_off_label_line_with_its_rationale(
    client_for, patient, actor_of
):
    submit_intake(actor_of("injector"), patient, intake_answers(), via="staff")
    url = reverse("screening:sign-decision", args=[patient.public_id])
    client = client_for("injector")
    page = client.get(url)
    assert b"Off-label areas" in page.content and b"Jaw (masseter)" in page.content
    data = {
        "secret": SECRET,
        "shown": shown_value(page),
        "ol_product_0": "xeomin",
        "ol_area_0": "perioral",
    }
    before = written()
    missing = client.post(url, data)
    assert missing.status_code == 422
    assert "ol_rationale_0" in missing.context["form"].errors
    half = client.post(url, {"secret": SECRET, "shown": data["shown"], "ol_product_0": "xeomin"})
    assert half.status_code == 422 and "ol_area_0" in half.context["form"].errors
    assert written()[:-1] == before[:-1]  # the page's own reads are logged; nothing else
    why = "Lip lines; low dose per house protocol"
    assert client.post(url, {**data, "ol_rationale_0": why}).status_code == 302
    line = CandidacyDecision.objects.filter(patient=patient).latest("signed_at").lines.get()
    assert (line.product, line.area, line.off_label, line.rationale) == (
        "xeomin",
        "perioral",
        True,
        why,
    )
    shown = client.get(reverse("screening:patient", args=[patient.public_id]))
    assert b"off-label" in shown.content and why.encode() in shown.content


# -------------------------------------------------- the Medication Guide and off-label text


def consent_post(page, **extra):
    return {
        "secret": SECRET,
        "shown": shown_value(page),
        "typed_name": "Grace Holloway",
        "adopt_typed": "on",
        "medication_guide": "dysport",
        **extra,
    }


def test_the_treatment_consent_records_the_medication_guide_given_with_its_version(
    client, client_for, patient
):
    from io import BytesIO

    from pypdf import PdfReader

    token = forms_token(patient, "tablet")
    url = reverse("screening:forms-consent", args=[token, "neuromodulator"])
    page = client.get(url)
    assert b"The Medication Guide I was given" in page.content
    assert b"Dysport (abobotulinumtoxinA) Medication Guide" in page.content
    before = written()
    for bad in ({"medication_guide": ""}, {"medication_guide": "myobloc"}):
        refused = client.post(url, consent_post(page, **bad))
        assert refused.status_code == 422
        assert "medication_guide" in refused.context["form"].errors
    assert written()[:-1] == before[:-1]  # the page's reads are logged; nothing else
    assert client.post(url, consent_post(page)).status_code == 302
    consent = SignedConsent.objects.get()
    assert consent.medication_guide == "dysport"
    version = "Dysport (abobotulinumtoxinA) Medication Guide, revised as printed (to verify)"
    assert consent.medication_guide_version == version
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(bytes(consent.pdf))).pages)
    assert "Medication Guide given: Dysport" in text
    desk = client_for("front_desk").get(
        reverse("screening:patient-forms", args=[patient.public_id])
    )
    assert version.encode() in desk.content
    listed = client_for("injector").get(f"/api/v1/screening/patients/{patient.public_id}/consents")
    assert listed.json()[0]["medication_guide_version"] == version


def test_the_photo_consent_asks_for_no_medication_guide(client, patient):
    token = forms_token(patient, "tablet")
    url = reverse("screening:forms-consent", args=[token, "photo"])
    page = client.get(url)
    assert b"Medication Guide" not in page.content
    assert client.post(url, consent_post(page, medication_guide="")).status_code == 302
    assert SignedConsent.objects.get().medication_guide_version == ""


def test_the_consent_has_an_off_label_paragraph_when_the_decision_has_off_label_lines(
    client, actor_of, patient
):
    token = forms_token(patient, "tablet")
    url = reverse("screening:forms-consent", args=[token, "neuromodulator"])
    document = current_documents()["neuromodulator"]
    plain = client.get(url)
    assert b"Use outside the label" not in plain.content
    assert shown_value(plain) == document.text_sha256
    director = actor_of("medical_director")
    submit_intake(director, patient, intake_answers(), via="staff")
    sign_decision(
        director,
        patient,
        [
            {"product": "botox_cosmetic", "area": "glabellar", "allowed": True},
            {
                "product": "botox_cosmetic",
                "area": "masseter",
                "allowed": True,
                "off_label": True,
                "rationale": "Jaw clenching, examined",
            },
        ],
        proof=proof_for(director),
    )
    page = client.get(url)
    assert b"Use outside the label" in page.content and b"jaw (masseter)" in page.content
    assert b"product&#x27;s maker" in page.content and b"&amp;#x27;" not in page.content
    assert shown_value(page) != document.text_sha256
    stale = client.post(url, consent_post(plain))  # signed on the text without the paragraph
    assert stale.status_code == 409 and not SignedConsent.objects.exists()
    assert client.post(url, consent_post(page)).status_code == 302
    consent = SignedConsent.objects.get()
    assert consent.off_label_areas == ["masseter"]
    body = consent_text(document, patient, clinic_today(patient)).body
    exact = text_of(document.title, document.version, body)
    assert consent.text_sha256 == sha256(exact) == shown_value(page)


def test_the_decision_page_shows_the_dry_eye_warning_at_crows_feet(client_for, patient, actor_of):
    submit_intake(
        actor_of("injector"), patient, intake_answers(conditions=["dry eye"]), via="staff"
    )
    page = client_for("injector").get(reverse("screening:sign-decision", args=[patient.public_id]))
    content = page.content.decode()
    at_crows_feet = re.findall(r'<p class="area-finding">.*?</p>', content)
    assert at_crows_feet and all("crow&#x27;s feet" in p for p in at_crows_feet)
    assert all("severity-warning" in p for p in at_crows_feet)
    # once per product with crow's feet on its label (BOTOX Cosmetic, Xeomin), under that line
    offered = offered_products()
    with_crows_feet = [p for p in offered if Area.LATERAL_CANTHAL in label_areas(p)]
    assert len(at_crows_feet) == len(with_crows_feet)
