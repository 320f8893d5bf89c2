"""The day's close: a location's takings by method for one of its days, and the desk's record of
what the card terminal's batch, the cash drawer and the gift card slips say against them.

A day is the location's day, in its zone: from its midnight to the next (23 or 25 hours across a
daylight-saving change). Takings are payments taken that day less refunds given that day,
whatever day the invoice was made. Takings are money taken: payments from prepaid balances
(package units, membership credit, a deposit paid online at booking and applied at the visit)
move no money that day, so they are listed apart and are in no total (decision 0040). The desk
(TAKE_PAYMENT) closes the day, once; the owner (VIEW_REVENUE) reads the closes and the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from glabella.billing import money
from glabella.billing.invoices import parse_amount
from glabella.billing.models import DayClose, Payment, Refund
from glabella.clinic.clock import local_today
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.bounds import day_in_range
from glabella.core.db import write_transaction
from glabella.core.errors import ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.services import require_capability

Method = Payment.Method
# What the desk counts: the terminal's batch, the drawer, the gift card slips.
COUNTED = (Method.CARD, Method.CASH, Method.GIFT_CARD)
# Paid from a balance bought earlier: no money moves the day they pay.
PREPAID = (Method.PACKAGE, Method.MEMBERSHIP, Method.DEPOSIT)
NOTE_MAX = 500


def day_bounds(location, day: date) -> tuple[datetime, datetime]:
    """The location's day as two instants: its midnight and the next, in its zone."""
    zone = location.zone
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


@dataclass(frozen=True)
class Takings:
    by_method: dict[str, money.Decimal]  # every method, payments less refunds
    payments: int  # of money (not from prepaid balances)
    refunds: int

    def of(self, method: str):
        return self.by_method.get(str(method), money.ZERO)

    @property
    def total(self):
        """Money taken, by every method but the prepaid ones."""
        return money.cents(
            sum((v for m, v in self.by_method.items() if m not in PREPAID), money.ZERO)
        )

    @property
    def other(self) -> dict[str, money.Decimal]:
        """Money taken by the methods nobody counts at the desk (card online), where any was."""
        return {m: v for m, v in self.by_method.items() if m not in COUNTED + PREPAID and v}

    @property
    def prepaid(self) -> dict[str, money.Decimal]:
        """Paid from prepaid balances that day (no money taken), where anything was."""
        return {m: v for m, v in self.by_method.items() if m in PREPAID and v}


def takings(location, day: date) -> Takings:
    """Payments taken at `location` on its `day` less refunds given that day, by method."""
    start, end = day_bounds(location, day)
    paid = (
        Payment.objects.filter(invoice__location=location, taken_at__gte=start, taken_at__lt=end)
        .values("method")
        .annotate(s=Sum("amount"))
    )
    given = (
        Refund.objects.filter(
            payment__invoice__location=location, refunded_at__gte=start, refunded_at__lt=end
        )
        .values("payment__method")
        .annotate(s=Sum("amount"))
    )
    found = {str(m): money.ZERO for m in Method.values}
    for row in paid:
        found[row["method"]] += row["s"]
    for row in given:
        found[row["payment__method"]] -= row["s"]
    count_paid = (
        Payment.objects.filter(invoice__location=location, taken_at__gte=start, taken_at__lt=end)
        .exclude(method__in=PREPAID)
        .count()
    )
    count_given = (
        Refund.objects.filter(
            payment__invoice__location=location, refunded_at__gte=start, refunded_at__lt=end
        )
        .exclude(payment__method__in=PREPAID)
        .count()
    )
    return Takings({m: money.cents(v) for m, v in found.items()}, count_paid, count_given)


def _count(value: object, field: str):
    """A counted amount: zero or more, to the cent, bounded."""
    text = str(value if value is not None else "").strip()
    if text in {"0", "0.0", "0.00", "$0", "$0.00"}:
        return money.ZERO
    if not text:
        raise ValidationFailed({field: ["Enter the amount counted, 0.00 if none."]})
    return parse_amount(text, field)


def parse_day(value: object, location, now: datetime | None = None) -> date:
    """A day to close: a real date, not after the location's today."""
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise ValidationFailed({"day": ["Enter a date, such as 2026-12-01."]}) from None
    if not day_in_range(day):
        raise ValidationFailed({"day": ["Enter a date between 1900 and 2100."]})
    if day > local_today(location, now):
        raise ValidationFailed({"day": ["A day is closed once it has begun, not before."]})
    return day


def close_day(
    actor: Actor,
    location,
    day: object,
    *,
    card: object,
    cash: object,
    gift_card: object,
    note: object = "",
    now: datetime | None = None,
) -> DayClose:
    """Records the counts against the system's takings for the day, with the differences
    (counted less takings). A difference needs a note saying what is known of it. Once a day."""
    require_capability(actor, Capability.TAKE_PAYMENT, "close the day")
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    counted = {}
    for method, field, raw in (
        (Method.CARD, "card", card),
        (Method.CASH, "cash", cash),
        (Method.GIFT_CARD, "gift_card", gift_card),
    ):
        try:
            counted[method] = _count(raw, field)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    try:
        the_day = parse_day(day, location, now)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        the_day = None
    words = " ".join(str(note or "").split())
    if len(words) > NOTE_MAX:
        errors["note"] = [f"Use at most {NOTE_MAX} characters."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        if DayClose.objects.filter(location=location, day=the_day).exists():
            raise ValidationFailed({"day": ["This day is closed already."]})
        found = takings(location, the_day)
        differences = {m: money.cents(counted[m] - found.of(m)) for m in COUNTED}
        if any(differences.values()) and not words:
            raise ValidationFailed(
                {"note": ["The counts differ from the takings: say what is known of it."]}
            )
        try:
            with transaction.atomic():
                closed = DayClose.objects.create(
                    location=location,
                    day=the_day,
                    counted_card=counted[Method.CARD],
                    counted_cash=counted[Method.CASH],
                    counted_gift_card=counted[Method.GIFT_CARD],
                    takings_card=found.of(Method.CARD),
                    takings_cash=found.of(Method.CASH),
                    takings_gift_card=found.of(Method.GIFT_CARD),
                    takings_other={m: str(v) for m, v in found.other.items()},
                    difference_card=differences[Method.CARD],
                    difference_cash=differences[Method.CASH],
                    difference_gift_card=differences[Method.GIFT_CARD],
                    note=words,
                    closed_by=actor.staff,
                    closed_at=now,
                )
        except IntegrityError:  # another desk closed it a moment ago
            raise ValidationFailed({"day": ["This day is closed already."]}) from None
        audit.record(
            actor,
            audit.Action.CREATE,
            audit.Kind.DAY_CLOSE,
            closed.public_id,
            detail={
                "location": str(location.public_id),
                "day": the_day.isoformat(),
                "differences": {m: str(v) for m, v in differences.items()},
            },
        )
    return closed


def closes(actor: Actor, location=None, *, limit: int = 60):
    """The recorded closes, newest first (the owner's list)."""
    require_capability(actor, Capability.VIEW_REVENUE, "see the day's closes")
    found = DayClose.objects.select_related("location", "closed_by").order_by("-day", "location")
    if location is not None:
        found = found.filter(location=location)
    return list(found[:limit])
