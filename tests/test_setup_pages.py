"""The owner's set-up pages (issue 19): every form's bad input answers 422 with the field's
message and writes nothing; good input saves with its access-log row; closed days stop
booking; the demo serves every ZIP of the towns it lists."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from glabella.clinic.models import (
    ClosedDay,
    Location,
    OpeningHours,
    Organisation,
    Room,
    Service,
    ServiceArea,
)
from glabella.clinic.services import locations_serving
from glabella.core.models import AccessLog
from tests.conftest import clinic_today

GOOD_LOCATION = {
    "name": "Camarillo",
    "address_line1": "400 Mobil Ave",
    "address_line2": "",
    "city": "Camarillo",
    "state": "CA",
    "postal_code": "93010",
    "phone": "(805) 555-0144",
    "email": "camarillo@example.com",
    "time_zone": "America/Los_Angeles",
    "directions": "",
    "cancellation_window_hours": "24",
    "active": "on",
}
GOOD_SERVICE = {
    "name": "Lip flip",
    "kind": "neuromodulator",
    "description": "",
    "duration_minutes": "20",
    "price": "180.00",
    "buffer_before_minutes": "5",
    "buffer_after_minutes": "5",
    "performer_credentials": ["MD", "NP"],
    "lead_time_minutes": "120",
    "horizon_days": "60",
    "consultation_within_days": "",
    "active": "on",
}
IDENTITY = {
    "name": "Conejo Aesthetic Medicine",
    "phone": "(805) 555-0100",
    "sender_name": "Conejo Aesthetic",
    "sender_email": "hello@example.com",
    "main_color": "#5b3a6b",
    "text_color": "#ffffff",
}


def png(size=(40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 60, 100)).save(out, "PNG")
    return out.getvalue()


def snapshot():
    """Everything the set-up pages write, to prove a refusal wrote nothing."""
    org = Organisation.objects.order_by("id").first()
    return (
        [(o.name, o.phone, o.sender_email, o.main_color, o.text_color, o.logo_type) for o in [org]],
        list(Location.objects.values_list("name", "time_zone", "postal_code", "state", "phone")),
        list(OpeningHours.objects.values_list("location_id", "weekday", "opens", "closes")),
        list(ServiceArea.objects.values_list("location_id", "key")),
        list(ClosedDay.objects.values_list("location_id", "day")),
        list(Room.objects.values_list("name", "active")),
        list(
            Service.objects.values_list(
                "name", "price", "duration_minutes", "horizon_days", "lead_time_minutes"
            )
        ),
        AccessLog.objects.filter(object_type="clinic-set-up").count(),
    )


@pytest.fixture
def owner(client_for):
    return client_for("owner")


def hours_post(**cells) -> dict:
    data = {f"{d}_{e}_{n}": "" for d in range(7) for e in ("opens", "closes") for n in (1, 2)}
    data.update(cells)
    return data


def bad_cases(clinic):
    loc = clinic.public_id
    service = Service.objects.get(slug="consultation")
    room = clinic.rooms.first()
    yesterday = clinic_today() - timedelta(days=1)
    return [
        ("setup-identity", {}, {**IDENTITY, "main_color": "#12"}, "main_color", "six hex digits"),
        ("setup-identity", {}, {**IDENTITY, "main_color": "#eeeeee"}, "main_color", "Too light"),
        ("setup-identity", {}, {**IDENTITY, "text_color": "#5b3a6c"}, "text_color", "Too close"),
        ("setup-identity", {}, {**IDENTITY, "phone": "12"}, "phone", "phone number"),
        ("setup-identity", {}, {**IDENTITY, "name": ""}, "name", "required"),
        ("setup-identity", {}, {**IDENTITY, "sender_email": "x@"}, "sender_email", "valid email"),
        (
            "setup-identity",
            {},
            {**IDENTITY, "logo": SimpleUploadedFile("logo.png", b"not an image", "image/png")},
            "logo",
            "not an image",
        ),
        (
            "setup-location-new",
            {},
            {**GOOD_LOCATION, "time_zone": "Pacific/Nowhere"},
            "time_zone",
            "valid choice",
        ),
        ("setup-location-new", {}, {**GOOD_LOCATION, "postal_code": "9301"}, "postal_code", "ZIP"),
        ("setup-location-new", {}, {**GOOD_LOCATION, "state": "C1"}, "state", "two letters"),
        ("setup-location-new", {}, {**GOOD_LOCATION, "phone": "555"}, "phone", "phone number"),
        ("setup-location", {"public_id": loc}, {**GOOD_LOCATION, "name": ""}, "name", "required"),
        (
            "setup-location-hours",
            {"public_id": loc},
            hours_post(**{"0_opens_1": "17:00", "0_closes_1": "09:00"}),
            "0_opens_1",
            "after the opening",
        ),
        (
            "setup-location-hours",
            {"public_id": loc},
            hours_post(
                **{
                    "1_opens_1": "09:00",
                    "1_closes_1": "13:00",
                    "1_opens_2": "12:00",
                    "1_closes_2": "18:00",
                }
            ),
            "1_opens_2",
            "overlaps",
        ),
        (
            "setup-location-hours",
            {"public_id": loc},
            hours_post(**{"2_opens_1": "09:00"}),
            "2_opens_1",
            "or neither",
        ),
        (
            "setup-location-hours",
            {"public_id": loc},
            hours_post(**{"2_opens_1": "9 o'clock", "2_closes_1": "17:00"}),
            "2_opens_1",
            "valid time",
        ),
        (
            "setup-location-areas",
            {"public_id": loc},
            {"areas": "Oxnard\n!!\n93033"},
            "areas",
            "neither a town",
        ),
        (
            "setup-location-closed",
            {"public_id": loc},
            {"day": yesterday.isoformat(), "reason": ""},
            "day",
            "has passed",
        ),
        (
            "setup-location-closed",
            {"public_id": loc},
            {"day": "2026-02-30", "reason": ""},
            "day",
            "valid date",
        ),
        ("setup-location-rooms", {"public_id": loc}, {"name": ""}, "name", "required"),
        (
            "setup-location-rooms",
            {"public_id": loc},
            {"name": "treatment room 1"},
            "name",
            "already has a room",
        ),
        (
            "setup-location-rooms",
            {"public_id": loc},
            {"prefix": "r", "r-room": str(room.public_id), "r-name": "Treatment room 2"},
            "name",
            "already has a room",
        ),
        (
            "setup-service-new",
            {},
            {**GOOD_SERVICE, "performer_credentials": []},
            "performer_credentials",
            "at least one credential",
        ),
        ("setup-service-new", {}, {**GOOD_SERVICE, "price": "-1"}, "price", "greater than"),
        (
            "setup-service-new",
            {},
            {**GOOD_SERVICE, "duration_minutes": "3"},
            "duration_minutes",
            "greater than",
        ),
        (
            "setup-service-new",
            {},
            {**GOOD_SERVICE, "name": "Consultation"},
            "name",
            "already has this name",
        ),
        (
            "setup-service",
            {"public_id": service.public_id},
            {**GOOD_SERVICE, "horizon_days": "9999"},
            "horizon_days",
            "At most",
        ),
        (
            "setup-policies",
            {},
            {f"window_{loc}": "-2"},
            f"window_{loc}",
            "greater than",
        ),
        (
            "setup-policies",
            {},
            {f"window_{loc}": "1000"},
            f"window_{loc}",
            "between 0 and",
        ),
    ]


def test_every_set_up_form_refuses_bad_input_field_by_field_and_writes_nothing(owner, clinic):
    for name, kwargs, data, field, words in bad_cases(clinic):
        if name == "setup-policies":  # a full form with one bad value
            full = {}
            for loc in Location.objects.filter(active=True):
                full[f"window_{loc.public_id}"] = "24"
            for s in Service.objects.filter(active=True):
                full[f"lead_{s.public_id}"] = "120"
                full[f"horizon_{s.public_id}"] = "90"
                full[f"within_{s.public_id}"] = ""
            data = {**full, **data}
        before = snapshot()
        response = owner.post(reverse(f"clinic:{name}", kwargs=kwargs), data)
        assert response.status_code == 422, (name, data)
        errors = response.context["form"].errors if "form" in response.context else {}
        for key in ("details", "hours", "areas", "closed", "room", "room_edit"):
            if response.context.get(key) is not None and response.context[key].errors:
                errors = response.context[key].errors
        assert field in errors, (name, field, errors)
        assert words.lower() in " ".join(errors[field]).lower(), (name, errors[field])
        assert snapshot() == before, name


def test_the_owner_sets_up_a_location_with_hours_zips_rooms_and_a_closed_day(owner, clinic):
    response = owner.post(reverse("clinic:setup-location-new"), GOOD_LOCATION)
    assert response.status_code == 302
    loc = Location.objects.get(name="Camarillo")
    assert loc.phone == "+18055550144" and loc.slug == "camarillo"
    hours = hours_post(
        **{"0_opens_1": "09:00", "0_closes_1": "12:00", "0_opens_2": "13:00", "0_closes_2": "18:00"}
    )
    assert (
        owner.post(reverse("clinic:setup-location-hours", args=[loc.public_id]), hours).status_code
        == 302
    )
    assert [
        (h.weekday, f"{h.opens:%H%M}", f"{h.closes:%H%M}") for h in loc.opening_hours.all()
    ] == [
        (0, "0900", "1200"),
        (0, "1300", "1800"),
    ]
    areas = "Oxnard, 93030, 93033\nPort Hueneme\n93041"
    assert (
        owner.post(
            reverse("clinic:setup-location-areas", args=[loc.public_id]), {"areas": areas}
        ).status_code
        == 302
    )
    assert [loc.pk] == [x.pk for x in locations_serving("93033") if x.pk == loc.pk]
    assert loc.serves("Port Hueneme") and loc.serves("93041") and not loc.serves("90210")
    day = clinic_today() + timedelta(days=30)
    url = reverse("clinic:setup-location-closed", args=[loc.public_id])
    assert owner.post(url, {"day": day.isoformat(), "reason": "Holiday"}).status_code == 302
    assert owner.post(url, {"day": day.isoformat()}).status_code == 422  # already closed
    rooms = reverse("clinic:setup-location-rooms", args=[loc.public_id])
    assert owner.post(rooms, {"name": "Room A"}).status_code == 302
    room = loc.rooms.get()
    data = {"prefix": "x", "x-room": str(room.public_id), "x-name": "Room B"}  # no "active": off
    assert owner.post(rooms, data).status_code == 302
    room.refresh_from_db()
    assert (room.name, room.active) == ("Room B", False)
    page = owner.get(reverse("clinic:setup-location", args=[loc.public_id]))
    assert page.status_code == 200 and b"Holiday" in page.content
    what = set(
        AccessLog.objects.filter(object_type="clinic-set-up").values_list("detail__what", flat=True)
    )
    assert {"location", "opening hours", "service area", "closed day", "room"} <= what


def test_the_owner_adds_a_service_with_a_price_rooms_and_a_deposit_flag(owner, clinic):
    room = clinic.rooms.get(name="Treatment room 1")
    data = {**GOOD_SERVICE, "rooms": [str(room.public_id)], "deposit_required": "on"}
    assert owner.post(reverse("clinic:setup-service-new"), data).status_code == 302
    service = Service.objects.get(name="Lip flip")
    assert service.price == 180 and service.deposit_required and not service.bookable_online
    assert list(service.rooms.all()) == [room]
    assert service.performer_credentials == ["MD", "NP"]
    listing = owner.get(reverse("clinic:setup")).content.decode()
    assert "Lip flip" in listing and "$180.00" in listing


def test_booking_policies_save_in_one_place(owner, clinic):
    data = {f"window_{clinic.public_id}": "48"}
    for s in Service.objects.filter(active=True):
        data[f"lead_{s.public_id}"] = "60"
        data[f"horizon_{s.public_id}"] = "30"
        data[f"within_{s.public_id}"] = "365" if s.slug == "neuromodulator" else ""
    assert owner.post(reverse("clinic:setup-policies"), data).status_code == 302
    clinic.refresh_from_db()
    assert clinic.cancellation_window_hours == 48
    botox = Service.objects.get(slug="neuromodulator")
    assert (botox.lead_time_minutes, botox.horizon_days, botox.consultation_within_days) == (
        60,
        30,
        365,
    )
    assert Service.objects.get(slug="consultation").consultation_within_days is None


def test_only_the_owner_opens_the_set_up_pages(client_for, clinic):
    for persona in ("front_desk", "injector", "medical_director"):
        assert client_for(persona).get(reverse("clinic:setup")).status_code == 403
        response = client_for(persona).post(reverse("clinic:setup-identity"), IDENTITY)
        assert response.status_code == 403
    owner = client_for("owner")
    for name, kwargs in [
        ("setup", {}),
        ("setup-identity", {}),
        ("setup-policies", {}),
        ("setup-location-new", {}),
        ("setup-location", {"public_id": clinic.public_id}),
        ("setup-service-new", {}),
        ("setup-service", {"public_id": Service.objects.first().public_id}),
    ]:
        assert owner.get(reverse(f"clinic:{name}", kwargs=kwargs)).status_code == 200, name


def test_a_logo_is_uploaded_served_by_the_app_and_shown_in_the_top_bar(owner, client):
    logo = SimpleUploadedFile("logo.png", png(), "image/png")
    assert (
        owner.post(reverse("clinic:setup-identity"), {**IDENTITY, "logo": logo}).status_code == 302
    )
    org = Organisation.objects.order_by("id").first()
    assert org.logo_type == "image/png" and org.logo_version
    served = client.get(reverse("clinic:brand-logo") + f"?v={org.logo_version}")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert bytes(served.content) == png()
    home = client.get(reverse("portal:home")).content.decode()
    assert f"brand/logo?v={org.logo_version}" in home
    data = {**IDENTITY, "remove_logo": "on"}
    assert owner.post(reverse("clinic:setup-identity"), data).status_code == 302
    assert client.get(reverse("clinic:brand-logo")).status_code == 404


@pytest.mark.parametrize("typed", ["Oxnard", "93030", "93033", "93035", "Port Hueneme", "93041"])
def test_the_demo_serves_every_zip_of_oxnard_and_port_hueneme(clinic, typed):
    assert clinic in locations_serving(typed)
