"""Pages and endpoints that list things run the same number of queries whatever the data size."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from glabella.clinic.models import Location, OpeningHours, Room, ServiceArea
from glabella.core.access import system_actor
from glabella.core.audit import Kind, record
from tests.conftest import make_patient


def queries(client, url, data=None) -> int:
    """The queries of a second look at the page: the first of a session also notes the staff
    member's activity (idle logoff), at most every half minute, whatever the data."""
    client.get(url, data or {})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def add_patients(n: int, prefix: str):
    for i in range(n):
        p = make_patient(family_name=f"{prefix}{i:03d}", email=f"{prefix}{i}@example.com")
        p.allergies.create(name="Latex")


def test_the_search_page_runs_a_fixed_number_of_queries(client_for):
    client = client_for("front_desk")
    add_patients(2, "Fewsome")
    few = queries(client, reverse("patients:search"), {"q": "fewsome"})
    add_patients(30, "Manysome")
    many = queries(client, reverse("patients:search"), {"q": "manysome"})
    assert few == many


def test_the_search_api_runs_a_fixed_number_of_queries(client_for):
    client = client_for("injector")
    add_patients(2, "Apifew")
    few = queries(client, "/api/v1/patients", {"q": "apifew"})
    add_patients(30, "Apimany")
    assert queries(client, "/api/v1/patients", {"q": "apimany"}) == few


def test_the_access_log_runs_a_fixed_number_of_queries(client_for, patient):
    client = client_for("owner")
    for _ in range(3):
        record(system_actor("t"), "read", Kind.PATIENT, patient_public_id=patient.public_id)
    few = queries(client, reverse("patients:access-log"))
    for _ in range(80):
        record(system_actor("t"), "read", Kind.PATIENT, patient_public_id=patient.public_id)
    assert queries(client, reverse("patients:access-log")) == few


def test_the_record_page_runs_a_fixed_number_of_queries(client_for, patient):
    client = client_for("injector")
    url = reverse("patients:record", args=[patient.public_id])
    few = queries(client, url)
    for i in range(20):
        patient.allergies.create(name=f"Thing {i}")
        patient.medications.create(name=f"Drug {i}")
        patient.conditions.create(name=f"Condition {i}")
    assert queries(client, url) == few


def add_location(i: int, org):
    loc = Location.objects.create(
        organisation=org,
        name=f"Branch {i}",
        slug=f"branch-{i}",
        address_line1="1 Main St",
        city="Ventura",
        state="CA",
        postal_code="93001",
        phone="+18055550100",
        time_zone="America/Los_Angeles",
    )
    for d in range(6):
        OpeningHours.objects.create(location=loc, weekday=d, opens="09:00", closes="17:00")
    ServiceArea.objects.create(location=loc, label="Ojai")
    Room.objects.create(location=loc, name="Room A")
    return loc


def test_the_clinic_page_and_location_api_run_a_fixed_number_of_queries(client_for, clinic):
    client = client_for("front_desk")
    page_few = queries(client, reverse("clinic:overview"))
    api_few = queries(client, "/api/v1/clinic/locations")
    for i in range(5):
        add_location(i, clinic.organisation)
    assert queries(client, reverse("clinic:overview")) == page_few
    assert queries(client, "/api/v1/clinic/locations") == api_few


def test_the_rooms_staff_and_services_endpoints_run_a_fixed_number_of_queries(client_for, clinic):
    from glabella.clinic.models import Service
    from glabella.core.models import StaffMember

    client = client_for("front_desk")
    urls = ["/api/v1/clinic/rooms", "/api/v1/clinic/staff", "/api/v1/clinic/services"]
    few = [queries(client, url) for url in urls]
    for i in range(5):
        add_location(i, clinic.organisation)
        Service.objects.create(
            organisation=clinic.organisation,
            name=f"Extra {i}",
            slug=f"extra-{i}",
            kind="review",
            duration_minutes=15,
            price=0,
        )
        StaffMember.objects.create(
            user=type(clinic.staff.first().user).objects.create(username=f"s{i}@example.com"),
            full_name=f"Staff {i}",
            role="front_desk",
        )
    assert [queries(client, url) for url in urls] == few
