"""Which actions a visit may take now is asked of one place: the calendar block offers exactly
the actions whose write succeeds (moving it too), and every other is refused with its reason."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from glabella.core.errors import ValidationFailed
from glabella.scheduling import bookings, search
from glabella.scheduling.models import Appointment
from glabella.scheduling.visit_actions import ON_THE_CARD, VisitAction, allowed
from tests.conftest import future_appointment

WRITES = {
    VisitAction.CHECK_IN: bookings.check_in,
    VisitAction.COMPLETE: bookings.complete,
    VisitAction.NO_SHOW: bookings.mark_no_show,
    VisitAction.CANCEL: bookings.cancel,
    VisitAction.MOVE: lambda actor, visit, now: bookings.reschedule(
        actor, visit, start=_free_start(visit, now), now=now
    ),
}


def _free_start(visit, now):
    """A free time a week ahead for the visit's service (where a move could go)."""
    day = now.astimezone(visit.location.zone).date() + timedelta(days=7)
    slots = search.search_slots(
        visit.service, [visit.location], first_day=day, last_day=day + timedelta(days=7), now=now
    )
    return slots[0].start


# (days ahead on the clinic's calendar, minutes from now on that day, checked in)
VISITS = [
    (0, -30, False),  # today, started half an hour ago
    (0, 30, False),  # today, in half an hour
    (0, -30, True),  # today, here
    (-1, 0, False),  # yesterday, never came
    (3, 0, False),  # in three days
]


def _visit(patient, clinic, days, minutes, checked_in):
    appointment = future_appointment(patient, clinic, days=days, checked_in=checked_in)
    start = appointment.starts_at + timedelta(minutes=minutes)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=30),
    )
    appointment.refresh_from_db()
    return appointment


@pytest.mark.parametrize("days, minutes, checked_in", VISITS)
def test_the_card_offers_exactly_the_actions_the_writes_accept(
    actor_of, clinic, patient, days, minutes, checked_in
):
    # Midday at the clinic, so "today, in half an hour" is still today.
    noon = timezone.now().astimezone(clinic.zone).replace(hour=12, minute=0, second=0)
    with time_machine.travel(noon, tick=False):
        now = timezone.now()
        appointment = _visit(patient, clinic, days, minutes, checked_in)
        offered = set(allowed(appointment.status, appointment.starts_at, now, clinic.zone))
        for action in ON_THE_CARD:
            fresh = Appointment.objects.get(pk=appointment.pk)
            sid = transaction.savepoint()  # each action tried on the visit as it is
            try:
                WRITES[action](actor_of("front_desk"), fresh, now=now)
                accepted = True
            except ValidationFailed as refused:
                accepted = False
                assert refused.fields["appointment"][0]
            finally:
                transaction.savepoint_rollback(sid)
            assert accepted == (action in offered), action


def test_the_calendar_shows_the_buttons_the_service_offers(client_for, clinic, patient):
    noon = timezone.now().astimezone(clinic.zone).replace(hour=12, minute=0, second=0)
    with time_machine.travel(noon, tick=False):
        here = _visit(patient, clinic, 0, -30, True)
        page = client_for("front_desk").get(
            reverse("scheduling:calendar"), {"location": clinic.slug}
        )
        html = page.content.decode()
        base = reverse("scheduling:appointment-action", args=[here.public_id, "x"])[:-2]
        assert f'formaction="{base}complete/"' in html
        cancel = reverse("scheduling:cancel-visit", args=[here.public_id])
        assert f'href="{cancel}"' in html  # the reason is asked on its own page
        assert f'formaction="{base}cancel/"' not in html
        assert f'formaction="{base}no-show/"' not in html
        assert f'formaction="{base}check-in/"' not in html
