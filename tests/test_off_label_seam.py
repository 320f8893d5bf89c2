"""The seam between the candidacy decision and the dose guard for off-label areas: an area off the
product's label is treated only when the decision holds it as an off-label line with its
rationale, and the guard's answer through the API says so in both cases."""

import json

import pytest

from glabella.screening.decisions import sign_decision
from glabella.screening.intake import submit_intake
from glabella.screening.models import SignedConsent
from tests.conftest import intake_answers, proof_for
from tests.test_treatments import sign_consent

WHY = "Bruxism with masseter hypertrophy; risks and options discussed"


@pytest.fixture
def director(actor_of):
    return actor_of("medical_director")


def check(client, patient, product, areas):
    body = {"product": product, "areas": areas, "patient": str(patient.public_id)}
    response = client.post("/api/v1/treatments/check", json.dumps(body), "application/json")
    assert response.status_code == 200, response.content
    found = response.json()
    return found["level"], {f["code"] for f in found["findings"]}


@pytest.mark.parametrize(("product", "units"), [("dysport", 60), ("botox_cosmetic", 20)])
def test_the_masseter_is_held_until_the_decision_has_it_as_an_off_label_line(
    director, patient, client_for, product, units
):
    submit_intake(director, patient, intake_answers(), via="staff")
    sign_decision(
        director,
        patient,
        [{"product": product, "area": "glabellar", "allowed": True}],
        proof=proof_for(director),
    )
    sign_consent(patient)
    injector = client_for("injector")
    level, codes = check(injector, patient, product, {"masseter": units})
    assert level == "block" and "no-decision" in codes

    sign_decision(
        director,
        patient,
        [
            {"product": product, "area": "glabellar", "allowed": True},
            {
                "product": product,
                "area": "masseter",
                "allowed": True,
                "off_label": True,
                "rationale": WHY,
            },
        ],
        proof=proof_for(director),
    )
    # The consent signed before the decision has no off-label paragraph: it does not cover it.
    level, codes = check(injector, patient, product, {"masseter": units})
    assert "no-decision" not in codes and codes >= {"off-label", "off-label-consent"}
    assert level == "block"
    sign_consent(patient)
    assert "masseter" in SignedConsent.objects.latest("signed_at").off_label_areas
    level, codes = check(injector, patient, product, {"masseter": units})
    assert codes == {"off-label"} and level == "warn"
    # The off-label line clears the masseter only: another off-label area is still held.
    level, codes = check(injector, patient, product, {"perioral": 4})
    assert level == "block" and "no-decision" in codes
