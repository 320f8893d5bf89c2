"""Shared fixtures: the demo clinic, one signed-in client per persona, and patients to look at."""

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.utils import timezone, translation
from hypothesis import settings as hypothesis_settings

from glabella.core.access import actor_for
from glabella.demo.clinic import DEMO_DOMAIN, ensure_demo_clinic
from glabella.patients.models import Patient

# `pytest --hypothesis-profile thorough` runs every property with many more examples.
hypothesis_settings.register_profile("thorough", max_examples=3000, deadline=None)


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        default=os.environ.get("GLABELLA_TEST_CLOCK", ""),
        help="Run the whole suite as if it were this instant (ISO 8601 with its offset); the "
        "clock ticks on from there. A test that depends on the day it runs fails on some.",
    )


def pytest_configure(config):
    """The whole session, collection included, at the instant of --clock (or
    GLABELLA_TEST_CLOCK) if one is given, so module-level times are read on that clock too."""
    given = config.getoption("--clock")
    if not given:
        return
    instant = datetime.fromisoformat(given)
    if instant.tzinfo is None:
        raise pytest.UsageError("--clock needs an offset, e.g. 2027-11-07T01:30-07:00")
    config._glabella_clock = time_machine.travel(instant, tick=True)
    config._glabella_clock.start()


def pytest_unconfigure(config):
    clock = getattr(config, "_glabella_clock", None)
    if clock is not None:
        clock.stop()


def pytest_report_header(config):
    given = config.getoption("--clock")
    return f"clock: the suite runs as if it were {given}" if given else None


STAFF_EMAILS = {
    "owner": f"owner@{DEMO_DOMAIN}",
    "medical_director": f"director@{DEMO_DOMAIN}",
    "injector": f"injector@{DEMO_DOMAIN}",
    "front_desk": f"desk@{DEMO_DOMAIN}",
}
PERSONAS = ("anonymous", "patient", "front_desk", "injector", "medical_director", "owner")


# Argon2 spends a quarter of a second on each hash by design, and every test's demo clinic makes
# six accounts. The suite hashes with MD5, as Django advises for tests; the production list is kept
# here, and test_bad_input signs in under it to prove the stored hash becomes Argon2.
PRODUCTION_HASHERS = list(django_settings.PASSWORD_HASHERS)
TEST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashes():
    with override_settings(PASSWORD_HASHERS=TEST_HASHERS):
        yield


@pytest.fixture(autouse=True)
def english_until_asked():
    """Each test starts in English: a request under /es/ leaves Spanish active in the thread
    (LocaleMiddleware does not switch back), where it would reach the next test's reverse()."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def clinic(db):
    location, _ = ensure_demo_clinic()
    return location


@pytest.fixture
def patient(clinic):
    """Grace Holloway, the demo patient with a portal account."""
    return Patient.objects.get(user__username=f"patient@{DEMO_DOMAIN}")


def clinic_today() -> date:
    """Today on the demo clinic's clock (Los Angeles), which is not UTC's date every evening."""
    return timezone.now().astimezone(ZoneInfo("America/Los_Angeles")).date()


def make_patient(**fields) -> Patient:
    values = dict(
        given_name="Maya",
        family_name="Lindqvist",
        birth_date=date(1979, 9, 30),
        email="maya@example.com",
        phone="+18055550177",
        sex="female",
    )
    values.update(fields)
    p = Patient(**values)
    p.refresh_search_text()
    p.save()
    return p


def future_appointment(
    patient, location, days: int = 10, service_slug: str = "consultation", checked_in=False
):
    """An appointment written straight to the table, for tests about who may see it;
    `checked_in`: the patient is here (charting opens for a checked-in visit)."""
    from glabella.clinic.models import Service
    from glabella.scheduling.models import Appointment

    service = Service.objects.get(slug=service_slug)
    provider = location.staff.filter(role="injector").first()
    # Days on the clinic's calendar (wall-clock arithmetic in its zone), so that "100 days ago"
    # is 100 of the clinic's days across a daylight-saving change too.
    local_now = timezone.now().astimezone(location.zone)
    start = (local_now + timedelta(days=days)).replace(microsecond=0).astimezone(UTC)
    return Appointment.objects.create(
        location=location,
        service=service,
        provider=provider,
        patient=patient,
        starts_at=start,
        ends_at=start + timedelta(minutes=service.duration_minutes),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=service.duration_minutes),
        **({"status": "checked_in", "checked_in_at": start} if checked_in else {}),
    )


@pytest.fixture
def other_patient(clinic):
    return make_patient()


@pytest.fixture
def users(clinic, patient, django_user_model):
    found = {
        role: django_user_model.objects.get(username=email) for role, email in STAFF_EMAILS.items()
    }
    found["patient"] = patient.user
    found["anonymous"] = None
    return found


@pytest.fixture
def client_for(users):
    """client_for("injector") -> a test client signed in as the demo injector."""

    def make(persona: str, **kwargs) -> Client:
        c = Client(**kwargs)
        if users[persona] is not None:
            c.force_login(users[persona])
            pass_second_factor(c, users[persona])
        return c

    return make


# --- two-factor sign-in: a staff session in the tests has passed its second factor --------
def issue_token(user, name: str = "test token", preset: str = "write") -> str:
    """An API token for a staff user, issued as the owner's page does (its role's reach, the
    default life); returns the raw token."""
    from glabella.core import tokens
    from glabella.core.access import system_actor

    staff = user.staff
    return tokens.issue(system_actor("tests"), staff, name, tokens.scope_for(staff, preset), None)[
        1
    ]


def pass_second_factor(client: Client, user) -> None:
    """Marks the client's session as django-otp's `login` does after a code from the user's
    authenticator app (the demo staff have one); nothing for a user without one."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def totp_code_now(user) -> str:
    """The code the user's authenticator app shows now, computed from its key as the app does
    (the next one if this one was used already: a code works once)."""
    import time
    from binascii import unhexlify

    from django_otp.oath import hotp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    now = (int(time.time()) - device.t0) // device.step + device.drift
    step = max(now, device.last_t + 1)
    assert step <= now + 1, "this app's codes for now and the next 30 seconds are used up"
    return f"{hotp(unhexlify(device.key), step, device.digits):0{device.digits}d}"


@pytest.fixture
def actor_of(users):
    def make(persona: str, channel: str = "web"):
        return actor_for(users[persona], channel=channel, ip="127.0.0.1")

    return make


# ---- signing: re-authentication (issue 18, point 4)


def proof_for(actor):
    """The signer re-enters their password, as the sign pages ask: a real check through
    core.signing, for a demo account (whose password is the demo's)."""
    from glabella.core import signing
    from glabella.demo.clinic import DEMO_PASSWORD

    return signing.prove(actor, DEMO_PASSWORD)


@pytest.fixture
def signing_proof():
    """signing_proof(actor) -> the proof the signing services ask for (see proof_for)."""
    return proof_for


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The demo clinic is built once per run; each test's changes are rolled back around it."""
    with django_db_blocker.unblock():
        ensure_demo_clinic()


ALL_NO = {
    "allergy_toxin": False,
    "allergy_albumin": False,
    "allergy_milk": False,
    "neuromuscular_disorder": False,
    "swallowing_or_breathing": False,
    "heart_disease": False,
    "infection_at_site": False,
    "bleeding_problems": False,
    "facial_surgery": False,
    "drooping_lid_or_brow": False,
    "recent_toxin": False,
    "earlier_toxin_reaction": False,
    "pregnant": False,
    "breastfeeding": False,
}


def intake_answers(**changes) -> dict:
    """A complete questionnaire in its stored shape: all no, nothing listed, unless changed."""
    answers = {
        "answers": dict(ALL_NO),
        "allergies": [],
        "medications": [],
        "conditions": [],
        "recent_toxin": [],
        "concerns": [{"area": "between_brows", "at_rest": False, "with_expression": True}],
        "notes": "",
    }
    for key, value in changes.items():
        if key == "toxins":  # the list of treatments; recent_toxin= is the yes/no answer
            answers["recent_toxin"] = value
        elif key in ALL_NO:
            answers["answers"][key] = value
        else:
            answers[key] = value
    return answers


def clear_for_treatment(patient, *, product="botox_cosmetic", area="glabellar", **answers):
    """The patient answers the questionnaire and the demo medical director allows a treatment."""
    from glabella.core.models import StaffMember
    from glabella.screening.decisions import sign_decision
    from glabella.screening.intake import submit_intake

    director = StaffMember.objects.get(user__username=STAFF_EMAILS["medical_director"])
    actor = actor_for(director.user, ip="127.0.0.1")
    submit_intake(actor, patient, intake_answers(**answers), via="staff")
    lines = [{"product": product, "area": area, "allowed": True}]
    return sign_decision(actor, patient, lines, proof=proof_for(actor))


def receive_lot(clinic, product="botox_cosmetic", vial_units=100, **changes):
    """A delivery received by the demo NP injector, with its checks done."""
    from glabella.core.models import StaffMember
    from glabella.inventory import services as stock

    injector = StaffMember.objects.get(user__username=STAFF_EMAILS["injector"])
    data = dict(
        product=product,
        lot_number="L1",
        expires_on=clinic_today() + timedelta(days=300),
        vial_units=vial_units,
        vials_received=1,
        supplier="Authorised distributor",
        seal_checked=True,
        licence_checked=True,
    )
    data.update(changes)
    return stock.receive(actor_for(injector.user), clinic, data)


@pytest.fixture
def treated(patient, clinic, actor_of):
    """Grace, treated just now (BOTOX Cosmetic between the brows, lot A1): a signed record, with
    what signing sets off (aftercare, check-ins, the forecast)."""
    from glabella.inventory import services as stock
    from glabella.treatments import charting
    from tests.test_treatments import GLABELLAR, sign_consent

    clear_for_treatment(patient)
    sign_consent(patient)
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    lot = receive_lot(clinic, lot_number="A1")
    vial = stock.reconstitute(actor_of("injector"), lot.vials.get(), "2.5")
    record = charting.start(actor_of("injector"), appointment, "botox_cosmetic")
    charting.save_draft(actor_of("injector"), record, points=GLABELLAR, vial=vial)
    return charting.lock(actor_of("injector"), record, proof=proof_for(actor_of("injector")))


# --- audit: the tests' table flush may empty the access log -----------------------------------
# TransactionTestCase, transactional_db and live_server empty every table after a test with
# `flush` (DELETE on SQLite, TRUNCATE on PostgreSQL), which the log's triggers refuse; here, and
# only here, the flush runs under core.db.audit_maintenance. Production has no such door.
def _flush_in_audit_maintenance():
    from django.core.management.commands import flush
    from django.db import connections

    from glabella.core.db import audit_maintenance

    plain = flush.Command.handle
    if getattr(plain, "audit_maintenance", False):
        return

    def handle(self, **options):
        with audit_maintenance(connections[options.get("database") or "default"]):
            return plain(self, **options)

    handle.audit_maintenance = True
    handle.plain = plain  # Django's own, which tests/test_audit_append_only.py shows refused
    flush.Command.handle = handle


_flush_in_audit_maintenance()
