"""US English on the clinic's clock (issue 19, Deliver 6), piece by piece: reports in the
clinic's months, paginated and exportable with money as dollars; names instead of keys; the
house's date styles outside a template; dialable phones in messages; charts whose labels fit;
the desk's menu without what it may not use; no internal review status on a public page."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from glabella.aftercare.patient_advice import Told, review_advice, urgent_advice
from glabella.core import styles
from glabella.outcomes import charts
from glabella.treatments import charting
from glabella.treatments.models import TreatmentRecord
from tests.conftest import (
    clear_for_treatment,
    future_appointment,
    make_patient,
    proof_for,
    receive_lot,
)
from tests.support.crawl import offences, visible_text
from tests.test_treatments import GLABELLAR, sign_consent

LA = "America/Los_Angeles"


def signed_treatment(clinic, actor_of, locked_at: datetime, name: str) -> TreatmentRecord:
    """A new patient's signed treatment (20 U, frown lines) from a lot of two vials at $8,990.00
    each, one left sealed: all of it done at `locked_at` (a locked record never changes)."""
    from glabella.inventory import services as stock

    with time_machine.travel(locked_at, tick=False):
        patient = make_patient(given_name=name, email=f"{name.lower()}@example.com")
        clear_for_treatment(patient)
        sign_consent(patient)
        appointment = future_appointment(
            patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
        )
        lot = receive_lot(clinic, lot_number=f"W{name}", unit_cost="8990", vials_received=2)
        first = lot.vials.order_by("number").first()
        vial = stock.reconstitute(actor_of("injector"), first, "2.5")
        record = charting.start(actor_of("injector"), appointment, "botox_cosmetic")
        charting.save_draft(actor_of("injector"), record, points=GLABELLAR, vial=vial)
        return charting.lock(actor_of("injector"), record, proof=proof_for(actor_of("injector")))


def test_reports_count_a_treatment_in_the_clinics_month_not_utcs(clinic, actor_of):
    """7:30 on Dec 1 in UTC is 11:30 PM on Nov 30 in California: November's. 6 PM UTC on Dec 1
    is December's. Whatever zone is active (a page, or a command in UTC)."""
    from glabella.treatments.reports import figures, months

    signed_treatment(clinic, actor_of, datetime(2026, 12, 1, 7, 30, tzinfo=UTC), "Ann")
    signed_treatment(clinic, actor_of, datetime(2026, 12, 1, 18, 0, tzinfo=UTC), "Bea")
    with timezone.override(UTC):
        found = figures(clinic)
    assert [(m["month"].month, m["units"]) for m in months(found.units_by)] == [(12, 20), (11, 20)]
    until_nov = figures(clinic, until=date(2026, 11, 30))
    assert [m["month"].month for m in months(until_nov.units_by)] == [11]


def test_the_reports_page_shows_a_month_at_a_time_exports_csv_and_writes_money(
    clinic, actor_of, client_for
):
    signed_treatment(clinic, actor_of, datetime(2026, 10, 5, 18, 0, tzinfo=UTC), "Ann")
    signed_treatment(clinic, actor_of, datetime(2026, 12, 1, 18, 0, tzinfo=UTC), "Bea")
    client = client_for("medical_director")
    url = reverse("treatments:reports")
    page = client.get(url)
    text = visible_text(page.content.decode())
    assert "December 2026" in text and "October 2026" in text
    assert "Month 1 of 2" in text and "Older month" in text
    assert "Frown lines between the brows" in text and "glabellar 20" not in text
    assert "$17,980.00" in text  # two sealed vials left at $8,990.00 each
    assert offences(text) == []
    older = visible_text(client.get(url, {"page": 2}).content.decode())
    assert "October 2026: units by product" in older and "Newer month" in older
    export = client.get(url, {"format": "csv"})
    assert export["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0] == ["Month", "Product", "Area", "Injector", "Points", "Units"]
    assert rows[1][:3] == [
        "December 2026",
        "BOTOX Cosmetic (onabotulinumtoxinA)",
        "Frown lines between the brows",
    ]
    assert offences(export.content.decode()) == []


def test_the_house_styles_outside_a_template_read_the_given_zone():
    from zoneinfo import ZoneInfo

    instant = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)
    la = ZoneInfo(LA)
    assert styles.day(instant, la) == "Nov 30, 2026"
    assert styles.instant(instant, la) == "Nov 30, 2026, 8:30 PM"
    assert styles.short_day(instant, la) == "11/30/2026"
    assert styles.day("1979-09-30") == "Sep 30, 1979"
    assert styles.day(None) == ""


def test_names_not_keys_on_pages():
    shown = Template(
        "{% load core_tags %}{{ a|area }} | {{ b|area }} | {{ p|product }} | {{ r|role_name }}"
    ).render(
        Context(
            {
                "a": "lateral_canthal_right",
                "b": "glabellar",
                "p": "botox_cosmetic",
                "r": "medical_director",
            }
        )
    )
    assert shown == (
        "Crow&#x27;s feet, patient&#x27;s right | Frown lines between the brows | "
        "BOTOX Cosmetic (onabotulinumtoxinA) | Medical director"
    )


@pytest.mark.parametrize("advice", [urgent_advice, lambda t, p: review_advice(None, p, UTC)])
def test_what_a_patient_is_told_names_a_number_they_can_dial(advice):
    said = advice(Told((), ()), "+18055550100")
    assert "(805) 555-0100" in said and "+1805" not in said


def test_the_timeline_chart_names_areas_in_words_with_room_for_them():
    svg = charts.timeline(
        [charts.Treated(date(2026, 9, 1), "BOTOX Cosmetic 44 U")],
        [
            charts.Span("glabellar", date(2026, 9, 1), date(2026, 12, 1), False),
            charts.Span("lateral_canthal", date(2026, 9, 1), date(2026, 11, 20), True),
        ],
        charts.Predicted(
            date(2026, 9, 1), date(2026, 12, 10), date(2026, 11, 25), date(2027, 1, 2)
        ),
        [charts.Point(date(2026, 9, 1), 3, "injector")],
        today=date(2026, 12, 1),
    )
    assert "Frown lines between the brows" in svg and "Crow&#x27;s feet" in svg
    assert "lateral_canthal" not in svg and "2026-" not in svg
    assert "Dec 10, 2026" in svg
    # The area labels end at x = left - 8 with text-anchor end: the longest fits in `left`.
    left = int(svg.split('text-anchor="end"')[0].rsplit('x="', 1)[1].split('"')[0]) + 8
    assert left * 1.0 >= len("Frown lines between the brows") * 12 * 0.5


def test_bar_chart_labels_are_not_cut_off():
    long = "DAXXIFY (daxibotulinumtoxinA-lanm)"
    svg = charts.bars([charts.Bar(long, 40, "(n = 9)")], maximum=100, title="t")
    label_end = float(svg.split('text-anchor="end"')[0].rsplit('x="', 1)[1].split('"')[0])
    assert label_end >= len(long) * 13 * 0.5  # about half an em a character, the longest fits


def test_the_desk_is_not_offered_the_public_pages_it_may_not_edit(client_for):
    desk = client_for("front_desk").get(reverse("patients:search")).content.decode()
    owner = client_for("owner").get(reverse("patients:search")).content.decode()
    site_pages = reverse("portal:site-pages")
    assert f'href="{site_pages}"' not in desk
    assert f'href="{site_pages}"' in owner


def test_the_public_areas_page_never_shows_internal_review_status(client, clinic):
    text = visible_text(client.get(reverse("portal:areas")).content.decode())
    assert "Crow" in text and "being checked" not in text.lower()


def test_the_inbox_shows_when_a_message_came_on_the_clinics_clock(client_for):
    from glabella.portal.models import ContactMessage

    message = ContactMessage.objects.create(
        name="Ann", email="ann@example.com", phone="+18055550123", message="Hello"
    )
    ContactMessage.objects.filter(pk=message.pk).update(
        received_at=datetime(2026, 12, 1, 10, 13, tzinfo=UTC)
    )
    page = client_for("front_desk").get(reverse("portal:inbox")).content.decode()
    text = visible_text(page)
    assert "received Dec 1, 2026, 2:13 AM" in text  # 10:13 UTC is 2:13 AM in California
    assert 'href="tel:+18055550123"' in page and "(805) 555-0123" in text
    assert offences(text) == []
