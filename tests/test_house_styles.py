"""The house's styles for what people read: money, phones, days, and the clinic's clock."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from glabella.core.templatetags.core_tags import longdate, money, phone_link


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("17980"), "$17,980.00"),
        (Decimal("0.005"), "$0.01"),
        (Decimal("-5"), "-$5.00"),
        (12, "$12.00"),
        (None, ""),
    ],
)
def test_money_reads_as_dollars(amount, shown):
    assert money(amount) == shown


def test_a_phone_is_a_link_a_phone_can_dial():
    assert phone_link("+18055550100") == '<a href="tel:+18055550100">(805) 555-0100</a>'
    assert phone_link("") == ""


def test_dates_and_instants_follow_one_style_in_the_active_zone():
    instant = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)  # 8:30 PM the day before in California
    with timezone.override(ZoneInfo("America/Los_Angeles")):
        shown = Template(
            '{{ d|date }} | {{ t|date:"DATETIME_FORMAT" }} | {{ t|time }} | {% load core_tags %}'
            "{{ t|longdate }}"
        ).render(Context({"d": date(2026, 12, 1), "t": instant}))
    assert shown == "Dec 1, 2026 | Nov 30, 2026, 8:30 PM | 8:30 PM | Monday, November 30, 2026"
    assert longdate(date(2026, 12, 1)) == "Tuesday, December 1, 2026"
