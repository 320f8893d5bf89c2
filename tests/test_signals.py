"""How apps react to each other: Django signals, and the periodic jobs each app registers."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from glabella.aftercare import reports as aftercare
from glabella.aftercare.models import AdverseEvent, CheckIn, Report, Sent
from glabella.aftercare.signals import adverse_event_recorded, report_recorded
from glabella.core import periodic
from glabella.core.errors import ValidationFailed
from glabella.inventory import services as stock
from glabella.messaging import delivery
from glabella.messaging.models import InboundText
from glabella.messaging.signals import text_received
from glabella.outcomes.models import Course
from glabella.scheduling import bookings as scheduling
from glabella.scheduling import signals
from glabella.scheduling.models import Appointment
from glabella.treatments import charting as treatments
from glabella.treatments.models import TreatmentRecord
from glabella.treatments.signals import treatment_signed
from tests.conftest import (
    clear_for_treatment,
    future_appointment,
    make_patient,
    proof_for,
    receive_lot,
)
from tests.test_screening import at, book
from tests.test_treatments import GLABELLAR, sign_consent

heard: list[tuple[str, dict]] = []


class Refused(Exception):
    pass


def refuse(sender, **kwargs):
    raise ValidationFailed({"service": ["Refused by a test receiver."]})


def refuse_later(sender, **kwargs):
    raise Refused


def listen(sender, signal, **kwargs):
    heard.append((signal, kwargs))


@contextmanager
def connected(signal, receiver):
    signal.connect(receiver, dispatch_uid="tests.signals")
    try:
        yield
    finally:
        signal.disconnect(dispatch_uid="tests.signals")
        heard.clear()


def receivers(signal, sender) -> list[str]:
    sync, _ = signal._live_receivers(sender)
    return [f"{r.__module__}.{r.__name__}" for r in sync]


# ---------------------------------------------------------------- who listens


def test_each_signal_reaches_its_listeners_in_installed_apps_order():
    assert receivers(signals.booking_requested, Appointment) == [
        "glabella.screening.receivers.require_treatment_clearance"
    ]
    assert receivers(signals.appointment_booked, Appointment) == [
        "glabella.screening.receivers.send_forms_link",
        "glabella.webhooks.receivers.on_appointment_booked",
    ]
    # billing, then aftercare before outcomes, as the hooks ran (outcomes reads none of
    # aftercare's rows; billing reads only the record).
    assert receivers(treatment_signed, TreatmentRecord) == [
        "glabella.billing.receivers.open_invoice",
        "glabella.aftercare.receivers.send_aftercare",
        "glabella.outcomes.receivers.refresh_forecast",
        "glabella.webhooks.receivers.on_treatment_signed",
    ]
    assert receivers(report_recorded, Report) == ["glabella.outcomes.receivers.record_onset"]
    # a patient's text: scheduling ("C" confirms a visit) before aftercare (a check-in's answer)
    assert receivers(text_received, InboundText) == [
        "glabella.scheduling.receivers.confirm_visit",
        "glabella.aftercare.receivers.answer_check_in",
    ]
    assert receivers(adverse_event_recorded, AdverseEvent) == [
        "glabella.webhooks.receivers.on_adverse_event_recorded"
    ]


# ---------------------------------------------------------------- scheduling


def test_a_refused_booking_prerequisite_writes_nothing(actor_of, clinic):
    patient = make_patient()
    before = Appointment.objects.count()
    with connected(signals.booking_requested, refuse), pytest.raises(ValidationFailed) as failed:
        book(actor_of("front_desk"), clinic, patient, at(2, 10), "consultation")
    assert failed.value.fields == {"service": ["Refused by a test receiver."]}
    assert Appointment.objects.count() == before


def test_a_refused_move_leaves_the_booking_where_it_was(actor_of, clinic):
    desk = actor_of("front_desk")
    appointment = book(desk, clinic, make_patient(), at(2, 10), "consultation")
    with connected(signals.booking_requested, refuse), pytest.raises(ValidationFailed):
        scheduling.reschedule(desk, appointment, start=at(3, 10))
    assert Appointment.objects.get(pk=appointment.pk).starts_at == appointment.starts_at


def test_a_failing_receiver_of_a_booking_rolls_the_booking_back(actor_of, clinic):
    before = Appointment.objects.count()
    with connected(signals.appointment_booked, refuse_later), pytest.raises(Refused):
        book(actor_of("front_desk"), clinic, make_patient(), at(2, 10), "consultation")
    assert Appointment.objects.count() == before


def test_booked_moved_and_cancelled_are_told_with_the_appointment(actor_of, clinic):
    desk = actor_of("front_desk")
    with (
        connected(signals.appointment_booked, listen),
        connected(signals.appointment_moved, listen),
        connected(signals.appointment_cancelled, listen),
    ):
        appointment = book(desk, clinic, make_patient(), at(2, 10), "consultation")
        moved = scheduling.reschedule(desk, appointment, start=at(3, 10))
        cancelled = scheduling.cancel(desk, moved)
        told = [(s, kw["appointment"].pk, kw["appointment"].status) for s, kw in heard]
        assert told == [
            (signals.appointment_booked, appointment.pk, "booked"),
            (signals.appointment_moved, appointment.pk, "booked"),
            (signals.appointment_cancelled, appointment.pk, cancelled.status),
        ]
        assert heard[1][1]["previous"] == appointment.starts_at
        assert cancelled.status == "cancelled_by_clinic"


def test_a_failing_receiver_of_a_move_or_cancellation_rolls_it_back(actor_of, clinic):
    desk = actor_of("front_desk")
    appointment = book(desk, clinic, make_patient(), at(2, 10), "consultation")
    with connected(signals.appointment_moved, refuse_later), pytest.raises(Refused):
        scheduling.reschedule(desk, appointment, start=at(3, 10))
    with connected(signals.appointment_cancelled, refuse_later), pytest.raises(Refused):
        scheduling.cancel(desk, appointment)
    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.starts_at, stored.status) == (appointment.starts_at, "booked")


# ---------------------------------------------------------------- treatments and aftercare


@pytest.fixture
def drafted(patient, clinic, actor_of):
    """Grace's BOTOX Cosmetic between the brows, charted and ready to sign."""
    clear_for_treatment(patient)
    sign_consent(patient)
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    lot = receive_lot(clinic, lot_number="A1")
    vial = stock.reconstitute(actor_of("injector"), lot.vials.get(), "2.5")
    record = treatments.start(actor_of("injector"), appointment, "botox_cosmetic")
    treatments.save_draft(actor_of("injector"), record, points=GLABELLAR, vial=vial)
    return record


def test_a_signed_treatment_sets_off_aftercare_then_the_forecast(drafted, actor_of):
    with connected(treatment_signed, listen):
        record = treatments.lock(
            actor_of("injector"), drafted, proof=proof_for(actor_of("injector"))
        )
        assert [kw["record"].pk for _, kw in heard] == [record.pk]
    assert Sent.objects.filter(treatment=record).exists()
    assert CheckIn.objects.filter(treatment=record).count() == 2
    assert Course.objects.filter(treatment=record).exists()


def test_a_failing_receiver_of_a_signing_leaves_the_record_a_draft(drafted, actor_of):
    with connected(treatment_signed, refuse_later), pytest.raises(Refused):
        treatments.lock(actor_of("injector"), drafted, proof=proof_for(actor_of("injector")))
    assert TreatmentRecord.objects.get(pk=drafted.pk).locked_at is None
    assert not Sent.objects.exists() and not CheckIn.objects.exists()
    assert not Course.objects.exists()


def test_a_failing_receiver_of_a_report_writes_no_report(treated):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    with connected(report_recorded, refuse_later), pytest.raises(Refused):
        aftercare.submit(day_one, {"symptoms": ["dry_eye"], "severity": "mild"})
    assert not Report.objects.exists()
    assert CheckIn.objects.get(pk=day_one.pk).status != CheckIn.Status.SUBMITTED


# ---------------------------------------------------------------- periodic jobs


def test_every_app_registers_its_own_jobs_under_their_old_names():
    assert {name: job.__module__ for name, job in periodic.JOBS.items()} == {
        "throttle_counts_swept": "glabella.core.throttle",
        "vials_written_off": "glabella.inventory.services",
        "check_ins_followed_up": "glabella.aftercare.check_ins",
        "alerts_escalated": "glabella.aftercare.alerts",
        "movement_checks_followed_up": "glabella.outcomes.durations",
        "duration_model_refit": "glabella.outcomes.refit",
        "invitations_sent": "glabella.outcomes.invitations",
        "licence_reminders": "glabella.clinic.apps",
        "packages_expired": "glabella.billing.packages",
        "memberships_renewed": "glabella.billing.memberships",
        "webhooks_released": "glabella.webhooks.delivery",
        "fhir_exports_expired": "glabella.fhir.bulk",
    }


def test_the_scheduler_runs_every_registered_job_with_its_now(db, monkeypatch):
    ran = []
    jobs = {name: (lambda now, name=name: ran.append((name, now)) or 7) for name in periodic.JOBS}
    jobs["a_new_apps_job"] = lambda now: ran.append(("a_new_apps_job", now)) or 1
    monkeypatch.setattr(periodic, "JOBS", jobs)
    now = timezone.now() + timedelta(minutes=3)
    done = delivery.tick(now)
    assert ran == [(name, now) for name in jobs]
    assert done["a_new_apps_job"] == 1
    assert all(done[name] == 7 for name in jobs if name != "a_new_apps_job")
