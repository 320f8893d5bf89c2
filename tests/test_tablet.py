"""The clinic's tablet handed to a patient (issue 18, point 5): locked to that patient's forms,
with no site menu nor links out, every other address refused, and unlocked only by a staff
member's signing PIN or password typed on the tablet; each unlock and wrong try is logged."""

import pytest
from django.test import Client
from django.urls import reverse

from glabella.core import signing
from glabella.core.models import AccessLog
from glabella.demo.clinic import DEMO_PASSWORD
from glabella.screening.links import forms_token
from tests.conftest import STAFF_EMAILS, make_patient

UNLOCK = "/tablet/unlock/"


@pytest.fixture
def handed(client_for, patient):
    """The desk hands the tablet to Grace: (the tablet's client, her forms' address)."""
    tablet = client_for("front_desk")
    url = reverse("screening:patient-forms", args=[patient.public_id])
    forms = tablet.post(url, {"action": "tablet"})["Location"]
    assert AccessLog.objects.filter(object_type="forms-tablet").count() == 1
    return tablet, forms


def test_the_tablet_opens_her_forms_bare(handed):
    tablet, forms = handed
    page = tablet.get(forms)
    assert page.status_code == 200
    html = page.content.decode()
    for way_out in ("Patient sign-in", "How it works", 'class="button primary book"', "Contact us"):
        assert way_out not in html
    assert '<a class="brand"' not in html and UNLOCK in html
    questions = tablet.get(reverse("screening:forms-intake", args=[forms.split("/")[2]]))
    assert questions.status_code == 200


def test_every_other_address_is_refused_while_locked(handed, clinic, patient):
    tablet, forms = handed
    other = reverse("screening:forms", args=[forms_token(make_patient(), "tablet")])
    for url in (
        "/",
        reverse("core:sign-in"),
        reverse("patients:search"),
        reverse("portal:sign-in"),
        reverse("portal:contact"),
        "/admin/",
        "/api/v1/patients/",
        other,
    ):
        refused = tablet.get(url)
        assert refused.status_code == 403, url
        if url.startswith("/api/"):  # the API's own JSON shape, not a page
            assert refused.json()["error"]["code"] == "tablet_locked"
            continue
        assert b"This tablet is for your forms" in refused.content
        assert forms.encode() in refused.content  # the way back to her forms
    login = tablet.post(reverse("core:sign-in"), {"username": "x", "password": "y"})
    assert login.status_code == 403
    assert tablet.get(forms).status_code == 200


def test_leaving_needs_a_staff_members_secret(handed, users, actor_of, patient):
    tablet, forms = handed
    assert b"Unlock the tablet" in tablet.get(UNLOCK).content
    before = AccessLog.objects.filter(object_type="tablet-release").count()
    nobody = tablet.post(UNLOCK, {"email": "patient@example.com", "secret": DEMO_PASSWORD})
    assert nobody.status_code == 422 and "email" in nobody.context["form"].errors
    grace = tablet.post(UNLOCK, {"email": patient.user.username, "secret": DEMO_PASSWORD})
    assert grace.status_code == 422  # a patient's own account does not unlock it
    wrong = tablet.post(UNLOCK, {"email": STAFF_EMAILS["front_desk"], "secret": "guess"})
    assert wrong.status_code == 422 and "secret" in wrong.context["form"].errors
    assert AccessLog.objects.filter(object_type="signing-check").count() == 1
    assert tablet.get(reverse("core:sign-in")).status_code == 403  # still locked
    done = tablet.post(UNLOCK, {"email": STAFF_EMAILS["front_desk"], "secret": DEMO_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("core:sign-in")
    row = AccessLog.objects.get(object_type="tablet-release")
    assert row.user == users["front_desk"] and row.patient_public_id == patient.public_id
    assert AccessLog.objects.filter(object_type="tablet-release").count() == before + 1
    assert tablet.get(reverse("core:sign-in")).status_code == 200
    assert tablet.get(forms).status_code == 200  # the link itself still works until it expires
    assert b"not kept for a patient" in tablet.get(UNLOCK).content


def test_a_signing_pin_unlocks_it_and_wrong_tries_pause(handed, actor_of):
    tablet, _ = handed
    injector = actor_of("injector")
    signing.set_pin(injector, pin="480915", again="480915", password=DEMO_PASSWORD)
    email = STAFF_EMAILS["injector"]
    for _ in range(signing.MAX_WRONG):
        assert tablet.post(UNLOCK, {"email": email, "secret": "000000"}).status_code == 422
    paused = tablet.post(UNLOCK, {"email": email, "secret": "480915"})
    assert paused.status_code == 429 and "secret" in paused.context["form"].errors
    other = tablet.post(UNLOCK, {"email": STAFF_EMAILS["front_desk"], "secret": DEMO_PASSWORD})
    assert other.status_code == 302  # another staff member is not paused
    assert AccessLog.objects.get(object_type="tablet-release").detail["with"] == "password"


def test_an_unlocked_browser_is_not_refused_anything(client_for):
    assert client_for("front_desk").get(reverse("patients:search")).status_code == 200
    assert client_for("anonymous").get(UNLOCK).status_code == 200


def test_a_locked_account_cannot_unlock_the_tablet(handed, settings):
    # Guesses at the tablet never reach an account that wrong passwords have locked.
    tablet, _ = handed
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    desk = STAFF_EMAILS["front_desk"]
    for n in range(settings.SIGN_IN_ACCOUNT_FAILURES):
        attacker.post(reverse("core:sign-in"), {"username": desk, "password": f"guess-{n}"})
    refused = tablet.post(UNLOCK, {"email": desk, "secret": DEMO_PASSWORD})
    assert refused.status_code == 429
    assert not AccessLog.objects.filter(object_type="tablet-release").exists()
