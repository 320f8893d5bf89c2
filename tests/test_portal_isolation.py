"""A patient reaches nothing of another patient's by changing an id or a token in a URL.

The routes are found in the URL conf, not listed by hand: every page marked `patient_page` (the
portal) and every route that takes a signed `token` (the links in patients' messages). Maya signs
in to the portal; Grace has a treatment, a photo, check-ins, a booking, consents and an
invitation. Every id of Grace's is put into every id of every route, and every link of Grace's,
altered, into every token; nothing of hers may come back.
"""

import itertools
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from glabella.aftercare import check_ins
from glabella.aftercare.models import CheckIn
from glabella.core import tokens as api_tokens
from glabella.core.access import actor_for
from glabella.core.models import ApiToken
from glabella.outcomes import durations, invitations
from glabella.outcomes.models import Invitation, MovementCheck, Photo
from glabella.portal import services as portal
from glabella.scheduling.notices import manage_token
from glabella.screening.links import forms_token
from tests.conftest import future_appointment
from tests.test_permissions import _signed_photo_consent, routes, stored_photo

pytestmark = pytest.mark.django_db

SLUG_VALUES = {
    "kind": ["photo", "neuromodulator"],
    "size": ["full", "thumbnail"],
    "fmt": ["json", "pdf"],
    "action": ["reconstitute"],
    "slug": ["faq"],
}


def patient_routes() -> list[tuple[str, list[str], dict]]:
    """(name, its parameters, its converters) for each portal page and each signed link."""
    found = {}
    for name, entry in routes():
        params = list(entry.pattern.converters)
        if getattr(entry.callback, "patient_page", False) or "token" in params:
            found[name] = (params, entry.pattern.converters, entry.default_args)
    return sorted((n, p, c) for n, (p, c, d) in found.items() if not d)


def test_the_portal_pages_and_the_signed_links_are_found():
    names = {name for name, _, _ in patient_routes()}
    # A sample the discovery must find, so that a change to it cannot empty the test.
    assert {
        "portal:me",
        "portal:photo",
        "portal:my-data",
        "aftercare:portal-report",
        "scheduling:manage",
        "screening:forms",
        "outcomes:book-again",
        "portal:link",
    } <= names
    assert len(names) >= 20


@pytest.fixture
def maya_signed_in(client, other_patient):
    user = get_user_model().objects.create_user(username="maya@example.com", password=None)
    other_patient.user = user
    other_patient.save()
    client.force_login(user)
    return client


@pytest.fixture
def graces_things(treated, patient, clinic):
    """Every id and link of Grace's that a URL can carry."""
    appointment = future_appointment(patient, clinic)
    check_in = CheckIn.objects.filter(treatment=treated).order_by("day").first()
    consent = _signed_photo_consent(patient)
    check, _ = MovementCheck.objects.get_or_create(
        treatment=treated, patient=patient, day=60, defaults={"due_at": timezone.now()}
    )
    Invitation.objects.create(
        treatment=treated,
        patient=patient,
        location=clinic,
        injector=treated.injector,
        service=invitations.default_service(),
        book_from=timezone.now().date(),
        status=Invitation.Status.SENT,
    )
    stored_photo(patient, treated, treated.injector, consent)
    app_token, _ = api_tokens.issue_for_patient(actor_for(patient.user), "Grace's app", None)
    ids = [
        patient.public_id,
        treated.public_id,
        appointment.public_id,
        treated.appointment.public_id,
        check_in.public_id,
        consent.public_id,
        Photo.objects.get(patient=patient).public_id,
        Invitation.objects.get(treatment=treated).public_id,
        app_token.public_id,
    ]
    tokens = [
        forms_token(patient),
        check_ins.check_in_token(check_in),
        manage_token(appointment),
        durations.movement_token(check),
        invitations.token(Invitation.objects.get(treatment=treated)),
        portal.sign_in_token(patient),
    ]
    return {"ids": ids, "tokens": tokens}


def _altered(token: str) -> list[str]:
    """A link changed the ways someone might try: its last character, its signature cut off,
    its id swapped for a made-up one."""
    last = "A" if token[-1] != "A" else "B"
    swapped = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}", "00000000-0000", token, count=1)
    return [token[:-1] + last, token.rsplit(":", 1)[0], swapped]


def _values(param, converter, things):
    kind = type(converter).__name__
    if kind == "UUIDConverter":
        return things["ids"]
    if param == "token":
        return [t for token in things["tokens"] for t in _altered(token)] + ["nothing"]
    return SLUG_VALUES.get(param, ["x"])


def test_no_route_shows_grace_anything_to_maya(maya_signed_in, graces_things, patient):
    client = maya_signed_in
    tried = 0
    for name, params, converters in patient_routes():
        if not params:
            continue  # the pages without ids: the next test
        choices = [_values(p, converters[p], graces_things) for p in params]
        uuid_params = {p for p in params if type(converters[p]).__name__ == "UUIDConverter"}
        for combo in itertools.product(*choices):
            url = reverse(name, kwargs=dict(zip(params, combo, strict=True)))
            for method in ("get", "post"):
                response = getattr(client, method)(url, {})
                tried += 1
                body = response.content.decode(errors="replace")
                assert patient.family_name not in body, f"{method} {url} shows Grace"
                refused = {302, 400, 403, 404, 405, 410, 422}
                # A page whose URL names nothing of anyone's (my-data.json) answers with Maya's.
                own = not any(p == "token" or p in uuid_params for p in params)
                assert response.status_code in (refused | {200} if own else refused), (
                    f"{method.upper()} {url}: {response.status_code}"
                )
                if response.status_code == 302:
                    # Only to a page of Maya's own or a sign-in, never into Grace's things.
                    assert not any(str(i) in response["Location"] for i in graces_things["ids"])
    assert tried > 200
    # Grace's app token was tried on every route that takes an id: it still works.
    assert ApiToken.objects.filter(user=patient.user, revoked_at__isnull=True).count() == 1


def test_maya_sees_only_her_own_things_on_every_portal_page(maya_signed_in, graces_things, patient):
    client = maya_signed_in
    for name, params, _ in patient_routes():
        if params:
            continue
        response = client.get(reverse(name))
        body = response.content.decode(errors="replace")
        assert patient.family_name not in body, name
        assert "lot A1" not in body, name
        for i in graces_things["ids"]:
            assert str(i) not in body, f"{name} names {i}"
