"""Providers' hours and time off (issue 19): the owner for anyone, a provider for themself;
bad input 422 with nothing written; time off over booked visits lists them and waits for a
confirmation; a location's closed day stops online and staff booking."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from glabella.clinic.models import ClosedDay, Service
from glabella.core.errors import ValidationFailed
from glabella.core.models import AccessLog, StaffMember
from glabella.demo.clinic import DEMO_DOMAIN
from glabella.scheduling import rules
from glabella.scheduling.models import ScheduleException, WeeklyHours
from glabella.scheduling.search import search_slots
from tests.conftest import clinic_today, future_appointment


@pytest.fixture
def injector(clinic):
    return StaffMember.objects.get(user__username=f"injector@{DEMO_DOMAIN}")


def week_post(location, **cells) -> dict:
    data = {"location_id": str(location.public_id)}
    for d in range(7):
        for k in ("work", "break"):
            data[f"{d}_{k}"] = data[f"{d}_{k}_ends"] = ""
    data.update(cells)
    return data


def state(staff):
    return (
        list(
            WeeklyHours.objects.filter(staff=staff).values_list("weekday", "kind", "starts", "ends")
        ),
        list(ScheduleException.objects.filter(staff=staff).values_list("day", "starts", "ends")),
        AccessLog.objects.filter(object_type="working-hours").count(),
    )


def test_a_provider_sets_their_own_week_and_the_owner_anyones(client_for, clinic, injector):
    url = reverse("scheduling:hours-for", args=[injector.public_id])
    data = week_post(
        clinic,
        **{"1_work": "10:00", "1_work_ends": "16:00", "1_break": "12:00", "1_break_ends": "12:30"},
    )
    assert client_for("injector").post(url, data).status_code == 302
    assert sorted(
        (w.weekday, w.kind, f"{w.starts:%H%M}", f"{w.ends:%H%M}")
        for w in WeeklyHours.objects.filter(staff=injector)
    ) == [(1, "break", "1200", "1230"), (1, "work", "1000", "1600")]
    assert client_for("owner").get(url).status_code == 200
    assert client_for("medical_director").post(url, data).status_code == 403
    assert client_for("front_desk").get(reverse("scheduling:hours")).status_code == 403
    # The desk keeps no working hours: not even its own page takes a week or time off.
    desk = StaffMember.objects.get(user__username=f"desk@{DEMO_DOMAIN}")
    own = reverse("scheduling:hours-for", args=[desk.public_id])
    assert client_for("front_desk").post(own, data).status_code == 403
    time_off = reverse("scheduling:time-off", args=[desk.public_id])
    assert client_for("front_desk").post(time_off, {"starts_on": "2030-01-02"}).status_code == 403
    assert not WeeklyHours.objects.filter(staff=desk).exists()
    # The injector's own menu entry leads to their own page.
    response = client_for("injector").get(reverse("scheduling:hours"))
    assert response.status_code == 302 and response["Location"] == url


@pytest.mark.parametrize(
    ("cells", "field", "words"),
    [
        ({"0_work": "17:00", "0_work_ends": "09:00"}, "0_work", "after the start"),
        ({"0_work": "09:00"}, "0_work", "or neither"),
        (
            {
                "0_work": "09:00",
                "0_work_ends": "13:00",
                "0_break": "12:30",
                "0_break_ends": "14:00",
            },
            "0_break",
            "inside the working hours",
        ),
        ({"2_break": "12:00", "2_break_ends": "12:30"}, "2_break", "inside the working hours"),
        ({"3_work": "nine"}, "3_work", "valid time"),
    ],
)
def test_a_bad_week_is_refused_field_by_field(client_for, clinic, injector, cells, field, words):
    before = state(injector)
    url = reverse("scheduling:hours-for", args=[injector.public_id])
    response = client_for("owner").post(url, week_post(clinic, **cells))
    assert response.status_code == 422
    errors = response.context["week"].errors
    assert words in " ".join(errors[field])
    assert state(injector) == before


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"first_day": -1}, "first_day", "has passed"),
        ({"first_day": 3, "last_day": 2}, "last_day", "on or after"),
        ({"first_day": 3, "last_day": 200}, "last_day", "At most"),
        ({"first_day": 3, "starts": "10:00"}, "starts", "Give both"),
        ({"first_day": 3, "starts": "15:00", "ends": "10:00"}, "ends", "after the start"),
        ({"first_day": "", "note": "x"}, "first_day", "required"),
    ],
)
def test_bad_time_off_is_refused_field_by_field(client_for, clinic, injector, data, field, words):
    today = clinic_today()
    body = {"first_day": "", "last_day": "", "starts": "", "ends": "", "location": "", "note": ""}
    for key in ("first_day", "last_day"):
        if isinstance(data.get(key), int):
            data = {**data, key: (today + timedelta(days=data[key])).isoformat()}
    body.update(data)
    before = state(injector)
    url = reverse("scheduling:time-off", args=[injector.public_id])
    response = client_for("injector").post(url, body)
    assert response.status_code == 422
    assert words in " ".join(response.context["time_off"].errors[field])
    assert state(injector) == before


def test_time_off_over_booked_visits_lists_them_and_waits_for_a_yes(
    client_for, clinic, injector, patient
):
    visit = future_appointment(patient, clinic, days=10)
    assert visit.provider == injector
    day = visit.starts_at.astimezone(clinic.zone).date()
    url = reverse("scheduling:time-off", args=[injector.public_id])
    body = {"first_day": day.isoformat(), "last_day": "", "starts": "", "ends": "", "note": "Away"}
    before = state(injector)
    client = client_for("owner")
    response = client.post(url, body)
    assert response.status_code == 409
    page = response.content.decode()
    assert "1 booked visit falls" in page and "Grace Holloway" in page
    assert "Add the time off anyway" in page and "Go back" in page
    assert state(injector) == before  # nothing written until confirmed
    # The visit listed is in the access log, as every list of patients is.
    listed = AccessLog.objects.filter(object_type="calendar").latest("id")
    assert str(patient.public_id) in listed.detail["patients"]
    assert client.post(url, {**body, "confirmed": "on"}).status_code == 302
    (off,) = ScheduleException.objects.filter(staff=injector, day=day)
    assert off.kind == "time_off" and off.starts is None and off.note == "Away"
    logged = AccessLog.objects.filter(object_type="working-hours").latest("id")
    assert logged.detail["visits_inside"] == [str(visit.public_id)]


def test_time_off_clear_of_visits_is_saved_at_once_for_several_days(client_for, clinic, injector):
    first = clinic_today() + timedelta(days=200)
    body = {
        "first_day": first.isoformat(),
        "last_day": (first + timedelta(days=2)).isoformat(),
        "starts": "13:00",
        "ends": "17:00",
        "location": str(clinic.public_id),
        "note": "",
    }
    url = reverse("scheduling:time-off", args=[injector.public_id])
    assert client_for("injector").post(url, body).status_code == 302
    days = ScheduleException.objects.filter(staff=injector, day__gte=first).values_list(
        "day", flat=True
    )
    assert list(days) == [first + timedelta(days=n) for n in range(3)]


def _a_working_day(clinic):
    """A weekday well ahead on which the demo's consultation has free times."""
    day = clinic_today() + timedelta(days=20)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_a_closed_day_stops_online_and_staff_booking(clinic):
    service = Service.objects.get(slug="consultation")
    day = _a_working_day(clinic)
    now = timezone.now()
    common = dict(first_day=day, last_day=day, now=now)
    online = search_slots(service, [clinic], online=True, **common)
    staff = search_slots(service, [clinic], online=False, **common)
    assert online and staff
    start = staff[0].start
    ClosedDay.objects.create(location=clinic, day=day, reason="Thanksgiving")
    assert search_slots(service, [clinic], online=True, **common) == []
    assert search_slots(service, [clinic], online=False, **common) == []
    with pytest.raises(ValidationFailed) as refused:
        rules.choose_slot(
            service, clinic, start, provider=None, patient=None, now=now, online=False
        )
    assert "closed on" in refused.value.fields["start"][0]
    assert "Thanksgiving" in refused.value.fields["start"][0]
    # The next day is open as before.
    next_day = day + timedelta(days=1 if day.weekday() < 4 else 3)
    assert search_slots(
        service, [clinic], online=False, first_day=next_day, last_day=next_day, now=now
    )
    assert start.tzinfo is not None and start > datetime.now(UTC)
