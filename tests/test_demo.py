"""demo-data: deterministic for a seed, and running it twice changes nothing."""

from io import StringIO
from zoneinfo import ZoneInfo

from django.core.management import call_command

from glabella.core.models import AccessLog, StaffMember
from glabella.patients.models import Allergy, Medication, Patient


def run(*args) -> str:
    out = StringIO()
    call_command("demo-data", *args, stdout=out)
    return out.getvalue()


def state():
    return (
        sorted(Patient.objects.values_list("public_id", "given_name", "family_name", "phone")),
        Allergy.objects.count(),
        Medication.objects.count(),
        StaffMember.objects.count(),
    )


def test_demo_data_is_idempotent_and_prints_the_logins(db):
    out = run("--patients", "150", "--seed", "7")
    assert "owner@demo.glabella.test" in out and "patient@demo.glabella.test" in out
    assert "150 new synthetic patients" in out
    first = state()
    out = run("--patients", "150", "--seed", "7")
    assert "0 new synthetic patients" in out
    assert state() == first


def test_the_same_seed_makes_the_same_people_and_more_patients_extend_the_list(db):
    run("--patients", "40", "--seed", "3", "--quiet-logins")
    forty = set(Patient.objects.values_list("public_id", "family_name"))
    run("--patients", "60", "--seed", "3", "--quiet-logins")
    sixty = set(Patient.objects.values_list("public_id", "family_name"))
    assert forty < sixty
    assert len(sixty - forty) == 20


def test_synthetic_patients_are_plausible_and_reach_no_real_person(db):
    run("--patients", "200", "--seed", "5", "--quiet-logins")
    synthetic = Patient.objects.exclude(user__isnull=False)
    # The 200 made up, and Lena, the membership's demo member (glabella.demo.billing).
    assert synthetic.count() == 201 and synthetic.filter(given_name="Lena").count() == 1
    for p in synthetic:
        assert 18 <= p.age_on(p.created_at.date()) <= 90
        assert p.email.endswith("@example.com")
        assert p.phone == "" or p.phone[5:8] == "555"
        assert p.search_text
    assert AccessLog.objects.filter(detail__synthetic_patients=200).count() == 1


def test_demo_data_lays_down_two_years_of_visits_that_the_database_accepts(db):
    from datetime import timedelta

    from django.db.models import Max, Min
    from django.utils import timezone

    from glabella.scheduling.models import Appointment

    out = run("--patients", "120", "--seed", "5", "--quiet-logins")
    made = Appointment.objects.count()
    assert made > 500 and f"{made:,} appointments" in out
    span = Appointment.objects.aggregate(first=Min("starts_at"), last=Max("starts_at"))
    now = timezone.now()
    assert span["first"] < now - timedelta(days=700) and span["last"] > now + timedelta(days=20)
    past = Appointment.objects.filter(starts_at__lt=now)
    assert past.filter(status="completed").count() > 0.8 * past.count()
    assert past.filter(status="no_show").exists()
    assert not Appointment.objects.filter(starts_at__gt=now, status="completed").exists()
    # No provider, room or patient is anywhere twice at once (PostgreSQL would also refuse it).
    from tests.test_booking_race import count_overlaps

    assert count_overlaps() == 0
    run("--patients", "120", "--seed", "5", "--quiet-logins")
    assert Appointment.objects.count() == made


def test_demo_data_charts_its_history_with_a_stock_ledger_that_adds_up(db):
    from collections import defaultdict

    from glabella.inventory.models import Movement, Vial
    from glabella.scheduling.models import Appointment
    from glabella.treatments.models import InjectionPoint, TreatmentRecord

    out = run("--patients", "120", "--seed", "5", "--quiet-logins")
    records = TreatmentRecord.objects.count()
    completed = Appointment.objects.filter(service__kind="neuromodulator", status="completed")
    assert records == completed.count() > 100 and f"{records:,} charted treatments" in out
    assert not TreatmentRecord.objects.exclude(status="locked").exists()
    assert not InjectionPoint.objects.filter(movement__isnull=True).exists()
    moved = defaultdict(int)
    for vial_id, units in Movement.objects.values_list("vial_id", "units"):
        moved[vial_id] += units
    for vial in Vial.objects.all():
        assert vial.units_total - moved[vial.pk] == vial.units_left >= 0
    # Every draw came from a lot already on the shelf and still in date, on the clinic's clock.
    for drawn_at, received, expires, zone in Movement.objects.filter(kind="draw").values_list(
        "at", "vial__lot__received_on", "vial__lot__expires_on", "vial__lot__location__time_zone"
    ):
        assert received <= drawn_at.astimezone(ZoneInfo(zone)).date() <= expires
    # Money: every treatment of the history has a paid invoice whose units are the units
    # charted, but the one seeded difference (fewer billed, with its reason).
    from django.db.models import Sum

    from glabella.billing.models import Invoice, InvoiceLine, Payment

    invoices = Invoice.objects.filter(treatment__isnull=False)
    assert invoices.count() == records and f"{records:,} invoices" in out
    assert not invoices.exclude(status="finalized").exists()
    charted = dict(
        InjectionPoint.objects.values_list("record")
        .annotate(s=Sum("units"))
        .values_list("record", "s")
    )
    differ = []
    for record_id, billed, said, reason in InvoiceLine.objects.filter(kind="units").values_list(
        "invoice__treatment", "quantity", "charted_units", "reason"
    ):
        assert said == charted[record_id]
        if billed != said:
            differ.append((said - billed, bool(reason)))
    assert differ == [(2, True)]
    paid = dict(
        Payment.objects.values_list("invoice").annotate(s=Sum("amount")).values_list("invoice", "s")
    )
    for invoice in invoices:
        assert paid.get(invoice.pk, 0) == invoice.total
    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
    # A package and a membership on sale; Grace bought the package with her first treatment
    # and paid her second's units from it; a member has paid each month's fee since joining.
    from glabella.billing import memberships, packages
    from glabella.billing.models import Membership, PackagePlan, PatientPackage
    from glabella.demo.clinic import DEMO_DOMAIN

    plan = PackagePlan.objects.get()
    grace = PatientPackage.objects.get(patient__user__username=f"patient@{DEMO_DOMAIN}")
    assert grace.plan == plan and grace.status == "active"
    assert 0 < grace.balance < plan.units and grace.balance == packages.ledger_sum(grace)
    assert Payment.objects.filter(method="package").count() == 1
    member = Membership.objects.get()
    assert member.status == "active" and member.credit_balance == memberships.ledger_sum(member)
    fees = Invoice.objects.filter(treatment__isnull=True, lines__description__contains="Smooth")
    assert fees.count() in (3, 4) and not fees.exclude(status="finalized").exists()
    assert member.credit_balance == 5 * fees.count()
    before = (Invoice.objects.count(), Payment.objects.count(), PatientPackage.objects.count())
    run("--patients", "120", "--seed", "5", "--quiet-logins")
    assert TreatmentRecord.objects.count() == records == invoices.count()
    assert Membership.objects.count() == 1 and PatientPackage.objects.count() == before[2]


def test_demo_data_follows_up_the_last_three_weeks_of_treatments(db):
    from datetime import timedelta

    from django.utils import timezone

    from glabella.aftercare.models import Alert, CheckIn, Report, Sent
    from glabella.treatments.models import TreatmentRecord

    out = run("--patients", "300", "--seed", "1", "--quiet-logins")
    recent = TreatmentRecord.objects.filter(locked_at__gte=timezone.now() - timedelta(days=21))
    assert recent.exists() and Sent.objects.count() == recent.count()
    assert CheckIn.objects.count() == 2 * recent.count()
    reports = Report.objects.count()
    assert reports and f"{reports:,} check-in reports" in out
    assert Report.objects.filter(urgency="self_care").count() > reports / 2
    assert CheckIn.objects.filter(status="scheduled", due_at__gt=timezone.now()).exists()
    # Older reviews were followed up; what came in lately waits on the board.
    for alert in Alert.objects.filter(acknowledged_at__isnull=False):
        assert alert.contact and alert.acknowledged_at > alert.opened_at
    assert Alert.objects.filter(urgency="urgent", acknowledged_at__isnull=True).count() <= 1
    # Nothing of that history is waiting to go out when the demo starts.
    from glabella.messaging.models import Message

    late = Message.objects.filter(
        about__regex=r"^(check-in|alert|treatment):", status__in=["queued", "scheduled"]
    )
    assert not late.filter(due_at__lte=timezone.now()).exists()
    # Each check-in left unanswered was reminded once before it was listed as missed.
    missed = CheckIn.objects.filter(status="missed")
    assert missed.exists() and not missed.filter(reminded_at__isnull=True).exists()
    run("--patients", "300", "--seed", "1", "--quiet-logins")
    assert Report.objects.count() == reports


def test_demo_data_forecasts_each_patients_newest_treatment_and_fills_the_due_list(db):
    from django.utils import timezone

    from glabella.clinic.models import Location
    from glabella.core.access import system_actor
    from glabella.outcomes.models import Forecast
    from glabella.outcomes.services import due
    from glabella.treatments.models import TreatmentRecord

    out = run("--patients", "300", "--seed", "1", "--quiet-logins")
    treated = TreatmentRecord.objects.values("patient_id").distinct().count()
    assert Forecast.objects.filter(current=True).count() == treated
    assert f"{treated:,} forecasts" in out
    listed = [
        row
        for location in Location.objects.all()
        for row in due(system_actor("test"), location, timezone.now().date())
    ]
    assert listed and all(row.current for row in listed)
    # The durations the follow-up would have recorded, and the model fitted from them.
    from glabella.outcomes import durations
    from glabella.outcomes.models import Course, Score

    ends = set(Course.objects.values_list("end", flat=True))
    assert {"returned", "retreated", "open"} <= ends
    assert durations.clinic_model().courses > 1000
    assert all(f.basis.startswith("the clinic's") for f in Forecast.objects.filter(current=True))
    assert Score.objects.filter(day=14).exists()
    # The portal's demo patient has a history of her own to show.
    from django.test import Client
    from django.urls import reverse

    grace = Patient.objects.get(user__username="patient@demo.glabella.test")
    assert TreatmentRecord.objects.filter(patient=grace, locked_at__isnull=False).count() == 2
    assert Forecast.objects.filter(patient=grace, current=True).exists()
    portal = Client()
    portal.force_login(grace.user)
    home = portal.get(reverse("portal:me")).content.decode()
    assert "Move or cancel" in home and "likely to wear off around" in home
    treatments = portal.get(reverse("portal:treatments")).content.decode()
    assert "Frown lines between the brows" in treatments
