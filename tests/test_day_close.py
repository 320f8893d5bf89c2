"""The day's close (issue 20, point 5): a location's takings by method on its own clock, the
desk's counts against them with the differences recorded once, and bad input that writes
nothing."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from glabella.billing import close, invoices, payments
from glabella.billing.models import DayClose, DayCloseChanged, ProductPrice
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.models import AccessLog
from tests.conftest import clinic_today

D = Decimal
LA = ZoneInfo("America/Los_Angeles")


def at(day, hour, minute=0):
    """An instant on the clinic's clock (Los Angeles)."""
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


@pytest.fixture
def invoice(clinic, patient, actor_of):
    ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("10.00")
    )
    desk = actor_of("front_desk")
    found = invoices.open_invoice(desk, patient, clinic)
    invoices.add_units(desk, found, "botox_cosmetic", "50")  # $500.00
    return found


@pytest.fixture
def day_before(clinic):
    """A day ten days back on the clinic's calendar, and its next day."""
    day = clinic_today() - timedelta(days=10)
    return day, day + timedelta(days=1)


def pay(actor, invoice, when, method, amount, **card):
    if method == "card":
        card = {"card_last4": "4242", "authorization": "A1B2C3", **card}
    with time_machine.travel(when, tick=False):
        return payments.take_payment(actor, invoice, method=method, amount=amount, **card)


def test_takings_by_method_follow_the_clinics_midnight_not_utcs(
    invoice, clinic, actor_of, day_before
):
    desk, owner = actor_of("front_desk"), actor_of("owner")
    day, next_day = day_before
    # 4:30 PM in Los Angeles is already the next day in UTC: still the clinic's `day`.
    evening = pay(desk, invoice, at(day, 16, 30), "card", "20.00")
    assert evening.taken_at.astimezone(ZoneInfo("UTC")).date() == next_day
    # 11:50 PM in Los Angeles: the clinic's `day`, the next day's morning in UTC.
    pay(desk, invoice, at(day, 23, 50), "cash", "50.00")
    # Ten past midnight in Los Angeles: the clinic's next day (UTC's too).
    pay(desk, invoice, at(next_day, 0, 10), "card", "30.00")
    cash = invoice.payments.get(method="cash")
    with time_machine.travel(at(next_day, 0, 20), tick=False):
        payments.refund(owner, cash, amount="10.00", reason="Overcharged")

    first = close.takings(clinic, day)
    assert (first.of("card"), first.of("cash"), first.of("gift_card")) == (D("20"), D("50"), 0)
    assert first.payments == 2 and first.refunds == 0 and first.total == D("70.00")
    second = close.takings(clinic, next_day)
    # A refund counts on the day it is given, against its payment's method.
    assert (second.of("card"), second.of("cash")) == (D("30.00"), D("-10.00"))
    assert second.payments == 1 and second.refunds == 1 and second.total == D("20.00")
    # The day in UTC would have taken the evening's card payment into the next day.
    assert close.takings(clinic, day - timedelta(days=1)).total == 0


def test_the_day_boundary_with_the_clock_frozen_at_local_and_utc_midnight(
    invoice, clinic, actor_of, day_before
):
    desk = actor_of("front_desk")
    day, next_day = day_before
    utc_midnight = datetime.combine(next_day, time(0, 0), tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(utc_midnight - timedelta(seconds=1), tick=False):
        payments.take_payment(desk, invoice, method="cash", amount="5.00")
    with time_machine.travel(utc_midnight, tick=False):
        payments.take_payment(desk, invoice, method="cash", amount="7.00")
    with time_machine.travel(at(next_day, 0, 0) - timedelta(seconds=1), tick=False):
        payments.take_payment(desk, invoice, method="cash", amount="11.00")
    with time_machine.travel(at(next_day, 0, 0), tick=False):
        payments.take_payment(desk, invoice, method="cash", amount="13.00")
    assert close.takings(clinic, day).of("cash") == D("23.00")  # 5 + 7 + 11: all before 0:00 LA
    assert close.takings(clinic, next_day).of("cash") == D("13.00")


def test_a_close_records_the_counts_the_takings_and_the_differences_once(
    invoice, clinic, actor_of, day_before
):
    desk = actor_of("front_desk")
    day, _ = day_before
    pay(desk, invoice, at(day, 11), "card", "120.00")
    pay(desk, invoice, at(day, 12), "cash", "80.00")
    closed = close.close_day(
        desk,
        clinic,
        day.isoformat(),
        card="120.00",
        cash="75.00",
        gift_card="0",
        note="Five dollars short in the drawer; change given twice?",
    )
    assert (closed.takings_card, closed.takings_cash, closed.takings_gift_card) == (
        D("120.00"),
        D("80.00"),
        D("0.00"),
    )
    assert (closed.difference_card, closed.difference_cash, closed.difference_gift_card) == (
        0,
        D("-5.00"),
        0,
    )
    assert closed.has_difference and closed.closed_by == desk.staff
    logged = AccessLog.objects.get(object_type="day-close")
    assert logged.detail["differences"]["cash"] == "-5.00"
    # Once a day; never changed.
    with pytest.raises(ValidationFailed) as again:
        close.close_day(desk, clinic, day, card="120", cash="80", gift_card="0")
    assert "day" in again.value.fields
    closed.note = "changed"
    with pytest.raises(DayCloseChanged):
        closed.save()
    assert DayClose.objects.count() == 1


def test_counts_that_agree_need_no_note(invoice, clinic, actor_of, day_before):
    desk = actor_of("front_desk")
    day, _ = day_before
    pay(desk, invoice, at(day, 9), "gift_card", "25.00", reference="GC-1001")
    closed = close.close_day(desk, clinic, day, card="0.00", cash="0", gift_card="$25.00")
    assert not closed.has_difference and closed.note == ""


def test_a_clinician_does_not_close_the_day(clinic, actor_of, day_before):
    with pytest.raises(Forbidden):
        close.close_day(
            actor_of("injector"), clinic, day_before[0], card="0", cash="0", gift_card="0"
        )
    assert not DayClose.objects.exists()


GOOD = {"card": "0", "cash": "0", "gift_card": "0", "note": ""}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"card": "lots"}, "card"),
        ({"card": ""}, "card"),
        ({"cash": "-5.00"}, "cash"),
        ({"cash": "12.345"}, "cash"),
        ({"gift_card": "1e9"}, "gift_card"),
        ({"gift_card": "NaN"}, "gift_card"),
        ({"note": "x" * 501}, "note"),
        ({"cash": "3.00"}, "note"),  # a difference with no note
        ({"day": "2026-13-40"}, "day"),
        ({"day": "1800-01-01"}, "day"),
        ({"day": "tomorrow"}, "day"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(clinic, actor_of, day_before, changes, field):
    data = {**GOOD, "day": day_before[0].isoformat(), **changes}
    before = AccessLog.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        close.close_day(
            actor_of("front_desk"),
            clinic,
            data["day"],
            card=data["card"],
            cash=data["cash"],
            gift_card=data["gift_card"],
            note=data["note"],
        )
    assert field in refused.value.fields
    assert not DayClose.objects.exists()
    assert AccessLog.objects.count() == before


def test_a_day_not_yet_begun_is_not_closed(clinic, actor_of):
    tomorrow = clinic_today() + timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        close.close_day(actor_of("owner"), clinic, tomorrow, card="0", cash="0", gift_card="0")
    assert "day" in refused.value.fields


# ---------------------------------------------------------------- the pages


def test_the_desk_closes_the_day_on_its_page(invoice, clinic, client_for, actor_of, day_before):
    day, _ = day_before
    pay(actor_of("front_desk"), invoice, at(day, 10), "card", "200.00")
    desk = client_for("front_desk")
    url = reverse("close:day")
    query = {"location": clinic.slug, "day": day.isoformat()}
    page = desk.get(url, query)
    assert page.status_code == 200
    assert b"$200.00" in page.content and b"Record the close" in page.content

    bad = desk.post(url, {**query, "card": "-1", "cash": "", "gift_card": "0"})
    assert bad.status_code == 422
    assert b"Enter an amount above zero." in bad.content
    assert b"Enter the amount counted, 0.00 if none." in bad.content
    differs = desk.post(url, {**query, "card": "190", "cash": "0", "gift_card": "0"})
    assert differs.status_code == 422 and b"say what is known of it" in differs.content
    assert not DayClose.objects.exists()

    done = desk.post(
        url, {**query, "card": "190", "cash": "0", "gift_card": "0", "note": "Batch short"}
    )
    assert done.status_code == 302
    closed = DayClose.objects.get()
    assert closed.difference_card == D("-10.00") and closed.location == clinic
    shown = desk.get(done["Location"])
    assert b"Batch short" in shown.content and b"-$10.00" in shown.content
    assert b"Record the close" not in shown.content
    assert b"after it was closed" not in shown.content
    # A payment recorded for the day after its close: the close keeps its figures, and says so.
    pay(actor_of("front_desk"), invoice, at(day, 18), "card", "45.00")
    later = desk.get(done["Location"])
    assert b"after it was closed" in later.content
    assert b"$245.00" in later.content  # today's takings for the day, in the total
    assert DayClose.objects.get().takings_card == D("200.00")

    listed = client_for("owner").get(reverse("close:closes"))
    assert listed.status_code == 200 and b"Batch short" in listed.content
    assert client_for("front_desk").get(reverse("close:closes")).status_code == 403


def test_the_close_page_refuses_a_day_not_yet_begun(clinic, client_for):
    tomorrow = clinic_today() + timedelta(days=1)
    response = client_for("front_desk").post(
        reverse("close:day"),
        {"location": clinic.slug, "day": tomorrow.isoformat(), **GOOD},
    )
    assert response.status_code == 422
    assert b"A day is closed once it has begun" in response.content
    assert not DayClose.objects.exists()


def test_payments_from_prepaid_balances_are_listed_apart_and_in_no_total(
    invoice, clinic, patient, actor_of, client_for, day_before
):
    """A package sold for cash is money taken; its units paying an invoice later move no money
    that day: listed apart, left out of "All methods" and of the recorded close."""
    from glabella.billing import packages

    desk = actor_of("front_desk")
    day, _ = day_before
    plan = packages.create_plan(
        actor_of("owner"),
        clinic.organisation,
        name="BOTOX Cosmetic 20",
        product="botox_cosmetic",
        units="20",
        price="180.00",
        valid_days="365",
    )
    with time_machine.travel(at(day, 9), tick=False):
        sale = invoices.open_invoice(desk, patient, clinic)
        packages.sell(desk, sale, plan)
    pay(desk, sale, at(day, 9, 5), "cash", "180.00")
    (held,) = packages.usable(patient, today=day)
    line = invoice.lines.get()
    with time_machine.travel(at(day, 11), tick=False):
        packages.redeem(desk, invoice, held, line.pk, "20")  # 20 units at $10.00
    pay(desk, invoice, at(day, 11, 5), "card", "300.00")

    found = close.takings(clinic, day)
    assert found.of("package") == D("200.00") and found.prepaid == {"package": D("200.00")}
    assert (found.of("cash"), found.of("card")) == (D("180.00"), D("300.00"))
    assert found.total == D("480.00") and found.payments == 2  # money only
    assert found.other == {}

    desk_client = client_for("front_desk")
    url = reverse("close:day")
    query = {"location": clinic.slug, "day": day.isoformat()}
    page = desk_client.get(url, query).content.decode()
    money_table, prepaid_part = page.split("Paid from prepaid balances, not money taken today")
    assert "Package units" not in money_table and "$480.00" in money_table
    assert "$680.00" not in page
    assert "Package units" in prepaid_part and "$200.00" in prepaid_part
    done = desk_client.post(url, {**query, "card": "300", "cash": "180", "gift_card": "0"})
    assert done.status_code == 302
    closed = DayClose.objects.get()
    assert not closed.has_difference and closed.takings_other == {}
    shown = desk_client.get(done["Location"]).content.decode()
    assert "The counts agree with the takings." in shown
    assert "after it was closed" not in shown
