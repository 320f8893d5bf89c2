"""The clinic core: service areas, time zones, staff credentials, who may perform a service."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from glabella.clinic.areas import area_key
from glabella.clinic.clock import local_today
from glabella.clinic.models import Location, Service
from glabella.clinic.services import locations_serving
from glabella.core.models import StaffMember
from glabella.core.roles import Credential, Role


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Simi Valley", ("city", "simi valley")),
        ("  simi   valley ", ("city", "simi valley")),
        ("Simi Valley, CA", ("city", "simi valley")),
        ("Simi Valley CA", ("city", "simi valley")),
        ("Ventura, California 93003", ("city", "ventura")),
        ("93065", ("zip", "93065")),
        ("93065-1234", ("zip", "93065")),
        ("", None),
        ("123", None),
        ("!!", None),
    ],
)
def test_what_visitors_type_becomes_an_area_key(typed, key):
    assert area_key(typed) == key


@pytest.mark.parametrize(
    "place",
    [
        "Westlake Village",
        "agoura hills",
        "Calabasas, CA",
        "Camarillo",
        "Ventura",
        "Oxnard",
        "Moorpark",
        "Simi Valley",
        "Thousand Oaks",
        "91362",
    ],
)
def test_the_demo_location_serves_its_own_city_and_the_eight_around_it(clinic, place):
    assert clinic.serves(place)
    assert list(locations_serving(place)) == [clinic]


@pytest.mark.parametrize("place", ["Los Angeles", "Santa Barbara", "90210", ""])
def test_places_outside_the_area_are_not_served(clinic, place):
    assert not clinic.serves(place)
    assert list(locations_serving(place)) == []


def test_a_location_needs_a_real_iana_time_zone(clinic):
    clinic.time_zone = "Pacific Time"
    with pytest.raises(ValidationError) as err:
        clinic.full_clean()
    assert "time_zone" in err.value.message_dict


def test_today_is_the_clinics_today_not_utcs(clinic):
    # 03:00 UTC on 1 March is still 28 February in California (19:00 PST).
    assert local_today(clinic, datetime(2027, 3, 1, 3, 0, tzinfo=UTC)) == date(2027, 2, 28)


def test_opening_hours_must_open_before_they_close(clinic):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        clinic.opening_hours.create(weekday=6, opens="17:00", closes="09:00")


def staff(**fields) -> StaffMember:
    values = dict(
        full_name="Test Person",
        role=Role.INJECTOR,
        credential=Credential.NP,
        licence_number="X1",
        licence_state="CA",
        licence_expires=date(2030, 1, 1),
    )
    values.update(fields)
    return StaffMember(**values)


def test_a_clinician_needs_credential_and_licence():
    with pytest.raises(ValidationError) as err:
        staff(credential="", licence_number="", licence_state="", licence_expires=None).clean()
    assert set(err.value.message_dict) == {
        "credential",
        "licence_number",
        "licence_state",
        "licence_expires",
    }


def test_the_medical_director_is_a_physician():
    with pytest.raises(ValidationError) as err:
        staff(role=Role.MEDICAL_DIRECTOR, credential=Credential.NP).clean()
    assert "credential" in err.value.message_dict
    staff(role=Role.MEDICAL_DIRECTOR, credential=Credential.DO).clean()


def test_an_rn_injector_needs_a_prescriber_to_supervise_them():
    with pytest.raises(ValidationError) as err:
        staff(credential=Credential.RN).clean()
    assert "supervising_prescriber" in err.value.message_dict
    nurse_boss = staff(credential=Credential.RN)
    with pytest.raises(ValidationError):
        staff(credential=Credential.RN, supervising_prescriber=nurse_boss).clean()
    staff(credential=Credential.RN, supervising_prescriber=staff(credential=Credential.MD)).clean()


def test_front_desk_needs_no_licence():
    staff(
        role=Role.FRONT_DESK,
        credential="",
        licence_number="",
        licence_state="",
        licence_expires=None,
    ).clean()


def test_a_service_is_performed_only_by_current_licensed_clinicians(clinic):
    service = Service.objects.get(slug="dermal-filler")
    service.performer_credentials = ["MD", "NP"]
    np = staff()
    assert service.can_be_performed_by(np, date(2029, 12, 31))
    assert not service.can_be_performed_by(np, date(2030, 1, 2))  # licence expired
    assert not service.can_be_performed_by(staff(credential=Credential.PA), date(2029, 1, 1))
    assert not service.can_be_performed_by(staff(role=Role.FRONT_DESK), date(2029, 1, 1))


def test_a_service_refuses_unknown_credentials(clinic):
    service = Service.objects.get(slug="consultation")
    service.performer_credentials = ["MD", "Shaman"]
    with pytest.raises(ValidationError):
        service.clean()


def test_the_demo_service_catalog(clinic):
    kinds = set(Service.objects.values_list("kind", flat=True))
    assert kinds == {"consultation", "neuromodulator", "filler", "review"}
    assert Service.objects.get(kind="consultation").bookable_online
    assert all(s.rooms.exists() for s in Service.objects.all())
    assert Location.objects.get().rooms.count() == 3


def test_the_public_service_area_api(client, clinic):
    body = client.get("/api/v1/clinic/service-area", {"q": "Oxnard"}).json()
    assert body["served"] is True
    assert body["locations"][0]["name"] == "Thousand Oaks"
    body = client.get("/api/v1/clinic/service-area", {"q": "Fresno"}).json()
    assert body == {"query": "Fresno", "served": False, "locations": []}


def test_a_city_with_an_accent_is_served_the_same_way_by_both_questions(clinic):
    clinic.city = "San José"
    clinic.save()
    assert clinic.serves("San Jose")
    assert locations_serving("san jose, CA") == [clinic]


def test_the_location_api_lists_hours_and_areas(client, clinic):
    body = client.get(f"/api/v1/clinic/locations/{clinic.public_id}").json()
    assert body["time_zone"] == "America/Los_Angeles"
    assert {"weekday": 5, "opens": "09:00:00", "closes": "14:00:00"} in body["opening_hours"]
    assert {"kind": "city", "label": "Simi Valley"} in body["service_areas"]
