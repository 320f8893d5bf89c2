"""What the FHIR tests share: reading as a token holder, and every resource checked against the
R4B models of fhir.resources (the test fails on any element the specification does not have)."""

from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from glabella.core import tokens
from glabella.core.access import actor_for


def valid(resource: dict) -> dict:
    """The resource, having parsed as its R4B model (a Bundle's entries each as theirs)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    if resource["resourceType"] == "Bundle":
        for entry in resource.get("entry", []):
            valid(entry["resource"])
    return resource


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def patient_token(patient, name: str = "My health app") -> str:
    """A token Grace (or any patient with a portal account) makes for an app of hers."""
    return tokens.issue_for_patient(actor_for(patient.user), name, None)[1]


def fhir_get(client: Client, path: str, **params):
    response = client.get(f"/fhir/R4/{path}", params)
    body = response.json()
    return response.status_code, body
