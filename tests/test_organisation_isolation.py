"""Two clinics in one deployment see nothing of each other, on every page, API and FHIR route.

Conejo (the demo clinic) has Grace with one of everything the matrix of test_permissions builds;
Harbor, a second, independent clinic, has its own location, a staff member of every role and a
patient with a portal account, and is reached on its own host. The routes come from the URL conf
(through the matrix, which fails on a route without an entry): every route that names an object
is asked for each of Conejo's objects by every Harbor persona, signed in and through API tokens,
and must answer as it does for an object that does not exist; every list, search and FHIR search
of Harbor's shows none of Conejo's names or ids. Routes opened by a signed link are classified
apart: the link is the credential and carries its own patient (decision 0047).
"""

import json
import uuid
from datetime import date

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from glabella.clinic.models import Location, Organisation, Service
from glabella.core.access import SHARED, actor_for
from glabella.core.models import StaffMember
from glabella.core.roles import Credential, Role
from glabella.fhir import registry
from glabella.patients.models import Patient
from tests.conftest import issue_token, pass_second_factor
from tests.fhir_support import bearer, fhir_get, patient_token
from tests.test_fhir_isolation import graces_resources
from tests.test_permissions import MATRIX, _resolve, matrix_objects, route_names

pytestmark = pytest.mark.django_db

HARBOR_HOST = "harbor.example.test"
CONEJO_HOST = "conejo.example.test"
HARBOR_STAFF = {
    "owner": ("Hazel Ostrander", Role.OWNER, ""),
    "medical_director": ("Dr. Ignatius Vale", Role.MEDICAL_DIRECTOR, Credential.MD),
    "injector": ("Quentin Farrow", Role.INJECTOR, Credential.NP),
    "front_desk": ("Wilhelmina Stroud", Role.FRONT_DESK, ""),
}
HARBOR_PERSONAS = ("anonymous", "patient", *HARBOR_STAFF)
# The placeholders that are signed links: whoever holds one acts as its patient, on any host.
SIGNED = {"<manage>", "<feed>", "<forms>", "<sign-in>", "<check-in>", "<movement>", "<invitation>"}
# Models whose rows the deployment shares (decision 0047): published documents and policy.
SHARED_MODELS = {
    "screening.PolicyChange",
    "screening.ReviewSetting",
    "screening.ConsentDocument",
    "treatments.ProtocolChange",
    "aftercare.Instructions",
    "portal.SiteText",
}


def placeholders(kwargs: dict) -> set[str]:
    return {v for v in kwargs.values() if isinstance(v, str) and v.startswith("<")}


OBJECT_ROUTES = [m for m in MATRIX if placeholders(m[2]) and not placeholders(m[2]) & SIGNED]
SIGNED_ROUTES = [m for m in MATRIX if placeholders(m[2]) & SIGNED]
OTHER_ROUTES = [m for m in MATRIX if not placeholders(m[2])]


# ------------------------------------------------------------------------------ the door


def test_every_model_with_an_access_rule_names_the_way_to_its_organisation():
    checked = []
    for model in apps.get_models():
        if getattr(model, "access_rule", None) is None:
            continue
        label = model._meta.label
        declared = any("organisation_field" in vars(k) for k in model.__mro__)
        assert declared, f"{label} has an access rule but no organisation_field"
        path = model.organisation_field
        if path is SHARED:
            assert label in SHARED_MODELS, f"{label} is shared by every clinic: say why (0047)"
            continue
        assert label not in SHARED_MODELS, label
        target = model
        for part in path.split("__"):
            if part == "pk":
                break
            try:
                field = target._meta.get_field(part)
            except FieldDoesNotExist:
                pytest.fail(f"{label}.organisation_field {path!r}: no {part!r}")
            assert field.is_relation and not field.null, f"{label}: {path!r} may be empty"
            target = field.related_model
        assert target is Organisation, f"{label}: {path!r} ends at {target.__name__}"
        model.objects.filter(**{path: 1}).exists()  # the database takes the lookup
        checked.append(label)
    assert len(checked) + len(SHARED_MODELS) >= 66


def test_every_route_is_classified():
    classified = {m[0] for m in OBJECT_ROUTES + SIGNED_ROUTES + OTHER_ROUTES}
    assert route_names() - classified == set(), "add the new routes to test_permissions.MATRIX"
    assert len({m[0] for m in OBJECT_ROUTES}) >= 90


# ------------------------------------------------------------------------------ two clinics


@pytest.fixture
def hosts(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HARBOR_HOST, CONEJO_HOST, "testserver"]


@pytest.fixture
def conejo(clinic, patient, hosts):
    """The demo clinic on its own host, and Grace's objects of every kind (built before Harbor
    exists: the matrix's rows that name no clinic belong to the only one)."""
    Organisation.objects.filter(pk=clinic.organisation_id).update(hosts=CONEJO_HOST)
    every = {p: p for m in MATRIX for p in placeholders(m[2])}
    objects = matrix_objects(patient, clinic, every)
    names = [s.full_name for s in StaffMember.objects.filter(organisation=clinic.organisation)]
    markers = [clinic.organisation.name, clinic.address_line1, patient.family_name, *names]
    ids = [str(v) for k, v in objects.items() if k not in SIGNED and not isinstance(v, int)]
    ids += [str(patient.public_id), str(clinic.organisation.public_id)]
    ids += [str(s.public_id) for s in StaffMember.objects.filter(organisation=clinic.organisation)]
    return {"objects": objects, "markers": markers, "ids": sorted(set(ids))}


@pytest.fixture
def harbor(conejo):
    """The second clinic: a location, one staff member of every role (with an authenticator, as
    staff must) and a patient with a portal account."""
    org = Organisation.objects.create(
        name="Harbor Skin Studio", phone="+18055550900", hosts=f"{HARBOR_HOST} other.test"
    )
    location = Location.objects.create(
        organisation=org,
        name="Harbor Ventura",
        slug="harbor-ventura",
        address_line1="12 Seaward Avenue",
        city="Ventura",
        state="CA",
        postal_code="93003",
        phone="+18055550901",
        time_zone="America/Los_Angeles",
    )
    service = Service.objects.create(
        organisation=org,
        name="Harbor consult",
        slug="harbor-consult",
        kind="consultation",
        duration_minutes=30,
        price=0,
    )
    User = get_user_model()
    users = {}
    for persona, (name, role, credential) in HARBOR_STAFF.items():
        user = User.objects.create_user(username=f"{persona}@harbor.test", email="")
        staff = StaffMember.objects.create(
            organisation=org,
            user=user,
            full_name=name,
            role=role,
            credential=credential,
            licence_number="H1" if credential else "",
            licence_state="CA" if credential else "",
            licence_expires=date(2040, 1, 1) if credential else None,
        )
        location.staff.add(staff)
        TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        users[persona] = user
    user = User.objects.create_user(username="patient@harbor.test")
    Patient.objects.create(
        organisation=org,
        user=user,
        given_name="Odile",
        family_name="Brackwater",
        birth_date=date(1984, 2, 2),
        email="odile@harbor.test",
        phone="+18055550977",
    )
    users["patient"] = user
    users["anonymous"] = None
    return {"org": org, "location": location, "service": service, "users": users}


def harbor_client(harbor, persona: str) -> Client:
    client = Client(HTTP_HOST=HARBOR_HOST)
    user = harbor["users"][persona]
    if user is not None:
        client.force_login(user)
        pass_second_factor(client, user)
    return client


def ask(client: Client, name, method, kwargs, body, objects):
    url = reverse(name, kwargs=_resolve(kwargs, objects))
    if method == "get":
        return url, client.get(url, body or {})
    if name.startswith("api:"):
        return url, getattr(client, method)(url, body, content_type="application/json")
    return url, getattr(client, method)(url, body)


def absent(objects: dict) -> dict:
    """The same placeholders naming objects that do not exist."""
    return {
        k: uuid.UUID(int=n + 1) if isinstance(v, uuid.UUID) else (2**31 - 1 - n)
        for n, (k, v) in enumerate(objects.items())
        if isinstance(v, (uuid.UUID, int))
    }


def leaks(response, conejo, url: str = "") -> list[str]:
    """Conejo's names and ids in a response (those the request itself carried excepted)."""
    body = response.content.decode(errors="replace")
    return [m for m in conejo["markers"] + conejo["ids"] if m in body and m not in url]


def object_routes_answer_as_for_nothing(client, conejo, routes) -> list[str]:
    wrong = []
    nothing = absent(conejo["objects"])
    for name, method, kwargs, body, _ in routes:
        url, response = ask(client, name, method, kwargs, body, conejo["objects"])
        found = leaks(response, conejo, url)
        if found:
            wrong.append(f"{method.upper()} {name}: shows {found[:3]}")
        if response.status_code == 404:
            continue
        _, control = ask(client, name, method, kwargs, body, nothing)
        if response.status_code != control.status_code or 200 <= response.status_code < 300:
            wrong.append(
                f"{method.upper()} {name}: {response.status_code} for Conejo's object, "
                f"{control.status_code} for none"
            )
    return wrong


# ------------------------------------------------------------------------------ the sweeps


# Each sweep builds the two clinics once and asks as every persona in turn (the data is what
# takes the time; the requests are cheap).


def test_harbor_reaches_no_object_of_conejo(conejo, harbor):
    wrong = []
    for persona in HARBOR_PERSONAS:
        client = harbor_client(harbor, persona)
        found = object_routes_answer_as_for_nothing(client, conejo, OBJECT_ROUTES)
        wrong += [f"{persona}: {w}" for w in found]
    assert wrong == [], "\n".join(wrong)


def test_harbor_api_tokens_reach_no_object_of_conejo(conejo, harbor):
    routes = [m for m in OBJECT_ROUTES if m[0].startswith(("api:", "fhir:"))]
    assert len(routes) >= 30
    wrong = []
    for persona in HARBOR_STAFF:
        raw = issue_token(harbor["users"][persona], preset="write")
        client = Client(HTTP_HOST=HARBOR_HOST, HTTP_AUTHORIZATION=f"Bearer {raw}")
        found = object_routes_answer_as_for_nothing(client, conejo, routes)
        wrong += [f"{persona}'s token: {w}" for w in found]
    assert wrong == [], "\n".join(wrong)


def test_harbor_lists_and_searches_show_nothing_of_conejo(conejo, harbor):
    wrong = []
    for persona in HARBOR_PERSONAS:
        client = harbor_client(harbor, persona)
        for name, method, kwargs, body, _ in OTHER_ROUTES:
            if method != "get":
                continue
            url, response = ask(client, name, method, kwargs, body, {})
            shown = [m for m in leaks(response, conejo, url) if m not in json.dumps(body or {})]
            if shown:
                wrong.append(f"{persona}: GET {name} ({response.status_code}): shows {shown[:3]}")
    assert wrong == [], "\n".join(wrong)


def test_harbor_fhir_shows_nothing_of_conejo(conejo, harbor, users, patient, treated):
    found = graces_resources(users, patient)
    assert len({name for name, _ in found}) >= 8, {name for name, _ in found}
    grace = str(patient.public_id)
    tokens = {p: issue_token(harbor["users"][p], preset="read") for p in HARBOR_STAFF}
    odile = Patient.objects.get(organisation=harbor["org"])
    tokens["patient"] = patient_token(odile)
    for whose, raw in tokens.items():
        client = bearer(raw)
        for name, resource_id in found:
            status, body = fhir_get(client, f"{name}/{resource_id}")
            assert status == 404, (whose, name, body)
        for name in registry.names():
            for params in ({"_count": 100}, {"patient": grace, "_count": 100}):
                status, body = fhir_get(client, name, **params)
                text = json.dumps(body.get("entry", []))  # the links echo the search itself
                shown = [m for m in conejo["markers"] + conejo["ids"] if m in text]
                assert not shown, (whose, name, params, status, shown[:3])


def test_each_clinic_still_sees_its_own(conejo, harbor, client_for, patient):
    """The sweep above can fail: Conejo's staff reach Grace, Harbor's staff their own patient."""
    record = reverse("patients:record", args=[patient.public_id])
    assert client_for("owner").get(record).status_code == 200
    odile = Patient.objects.get(organisation=harbor["org"])
    own = harbor_client(harbor, "owner").get(reverse("patients:record", args=[odile.public_id]))
    assert own.status_code == 200
    assert b"Brackwater" in own.content
    assert harbor_client(harbor, "owner").get(record).status_code == 404


def test_the_host_decides_what_a_visitor_sees(conejo, harbor):
    at_harbor = Client(HTTP_HOST=HARBOR_HOST).get(reverse("api:list_locations")).json()
    at_conejo = Client(HTTP_HOST=CONEJO_HOST).get(reverse("api:list_locations")).json()
    assert [loc["name"] for loc in at_harbor] == ["Harbor Ventura"]
    assert "Harbor Ventura" not in [loc["name"] for loc in at_conejo]
    # A host no clinic names, with two clinics: no clinic's data at all.
    assert Client().get(reverse("api:list_locations")).json() == []


def test_a_new_patient_or_staff_member_joins_the_clinic_of_whoever_adds_them(harbor):
    from glabella.patients.services import register_patient

    owner = actor_for(harbor["users"]["owner"])
    added = register_patient(
        owner,
        {
            "given_name": "Pia",
            "family_name": "Lund",
            "birth_date": date(1990, 1, 1),
            "email": "pia@harbor.test",
        },
    )
    assert added.organisation_id == harbor["org"].pk
    assert harbor["location"].organisation_id == harbor["org"].pk


def test_a_second_clinic_gets_its_owner_from_the_command_line(harbor):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="several clinics"):
        call_command("add-owner", "ada@example.com", "Ada Quill", stdout=StringIO())
    call_command("add-owner", "ada@example.com", "Ada Quill", clinic="Bayside", stdout=StringIO())
    ada = StaffMember.objects.get(user__username="ada@example.com")
    assert ada.organisation.name == "Bayside"
    assert ada.role == Role.OWNER


def test_a_signed_link_opens_as_its_patient_on_the_deployments_host_and_its_clinics(conejo, harbor):
    """Links in messages point at SITE_URL, a host no clinic names: they open there, acting as
    their patient, as on their own clinic's host."""
    for token in ("<manage>", "<forms>"):
        name = "scheduling:manage" if token == "<manage>" else "screening:forms"
        url = reverse(name, kwargs={"token": conejo["objects"][token]})
        assert Client().get(url).status_code == 200, name
        assert Client(HTTP_HOST=CONEJO_HOST).get(url).status_code == 200, name


def test_harbor_reports_board_and_room_choices_show_nothing_of_conejo(conejo, harbor, treated):
    """The pages that read rows without naming one (a second reader found them reading every
    clinic): the follow-up board's missed check-ins, the safety report, the treatment reports
    and their CSV, the rooms a new service may use. Conejo's own staff see Grace's there, so
    the check can fail."""
    from glabella.aftercare.models import CheckIn

    missed = CheckIn.objects.filter(treatment=treated).order_by("due_at").first()
    CheckIn.objects.filter(pk=missed.pk).update(status=CheckIn.Status.MISSED)
    conejo_place = Location.objects.get(pk=treated.appointment.location_id)
    markers = [*conejo["markers"], conejo_place.name]
    pages = {
        "medical_director": [
            ("aftercare:board", {}),
            ("aftercare:safety", {}),
            ("treatments:reports", {}),
            ("treatments:reports", {"format": "csv"}),
        ],
        "owner": [("clinic:setup-service-new", {})],
    }
    for persona, asked in pages.items():
        own = Client(HTTP_HOST=CONEJO_HOST)
        user = StaffMember.objects.get(
            organisation=conejo_place.organisation, role=getattr(Role, persona.upper())
        ).user
        own.force_login(user)
        pass_second_factor(own, user)
        theirs = harbor_client(harbor, persona)
        for name, params in asked:
            seen = own.get(reverse(name), params)
            assert seen.status_code == 200, (name, params, seen.status_code)
            body = seen.content.decode()
            assert any(m in body for m in markers), f"{name} {params}: Conejo's page shows none"
            answer = theirs.get(reverse(name), params)
            assert answer.status_code == 200, (name, params, answer.status_code)
            text = answer.content.decode()
            shown = [m for m in markers if m in text]
            assert shown == [], f"{persona} of Harbor, {name} {params}: shows {shown[:3]}"
