"""The printable treatment note: the face chart with its points, each point, the totals, the
product, lot and expiry, who injected (and supervised), the dose guard's findings with the
reasons given, the notes, the signature, and the amendments. Laid out with `core.pdf`; times
are in the zone active when it is rendered (the view activates the location's).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from glabella.catalogue.areas import any_area_name
from glabella.core import styles
from glabella.core.pdf import MARGIN, Pages
from glabella.treatments import chart

SCALE = 0.9  # chart units to points
OUTLINE = (0.48, 0.54, 0.56)  # the face's lines
POINT = (0.7, 0.15, 0.12)  # an injection point


def _face(pages: Pages, points: list) -> None:
    """The diagram of templates/treatments/_face.svg, in PDF coordinates (y grows upwards)."""
    height = chart.HEIGHT * SCALE
    pages.room(height + 10)
    top = pages.y

    def at(x, y):  # chart coordinates to the page
        return MARGIN + x * SCALE, top - y * SCALE

    pages.ellipse(*at(100, 112), 66 * SCALE, 92 * SCALE, line_width=0.8, color=OUTLINE)
    for ex in (76, 124):
        pages.ellipse(*at(ex, 94), 12 * SCALE, 5 * SCALE, line_width=0.8, color=OUTLINE)
    for x1, y1, x2, y2 in ((78, 196, 76, 258), (122, 196, 124, 258), (100, 96, 94, 128)):
        pages.line([at(x1, y1), at(x2, y2)], line_width=0.8, color=OUTLINE)
    for p in points:
        x, y = at(float(p.x) * chart.WIDTH, float(p.y) * chart.HEIGHT)
        pages.ellipse(x, y, 3, 3, color=None, fill=POINT)
    for n, p in enumerate(points, 1):
        x, y = at(float(p.x) * chart.WIDTH, float(p.y) * chart.HEIGHT)
        pages.show(x + 4, y + 2, str(n), size=6)
    pages.show(
        MARGIN + chart.WIDTH * SCALE + 16, top - 12, "Front view; the patient's left", size=8
    )
    pages.show(MARGIN + chart.WIDTH * SCALE + 16, top - 22, "is on the right of the chart.", size=8)
    pages.y = top - height - 8


def _vial_line(vial) -> str:
    line = f"{vial.lot.lot_number}, expires {styles.day(vial.lot.expires_on)}, vial {vial.number}"
    if vial.units_per_01ml is not None:
        line += (
            f" ({vial.diluent_ml.normalize():f} mL, {vial.units_per_01ml.normalize():f} U/0.1 mL)"
        )
    return line


def _at(instant, zone) -> str:
    """An instant on a location's clock with its zone's abbreviation: Dec 1, 2026, 10:13 AM PST."""
    return f"{styles.instant(instant, zone)} {instant.astimezone(zone):%Z}"


def _when(appointment) -> str:
    """The visit's start on its location's clock, in the house's style, with the zone's
    abbreviation (a PDF is read away from the page): Dec 1, 2026, 10:13 AM PST."""
    return _at(appointment.starts_at, appointment.location.zone)


def render(record, clinic: str, amendments=()) -> bytes:
    patient = record.patient
    title = f"Treatment record {record.public_id}"
    pages = Pages(title, f"Treatment {record.public_id}")
    pages.text(clinic, font="F2", size=10, gap=4)
    status = "Signed and locked" if record.locked else "DRAFT: not signed"
    pages.text(f"Treatment record: {status}", font="F2", size=15, gap=4)
    vials = [rv.vial for rv in record.drawn.select_related("vial__lot").order_by("position")]
    vials = vials or ([record.vial] if record.vial_id else [])
    lines = [
        (
            "Patient",
            f"{patient.given_name} {patient.family_name}, born {styles.day(patient.birth_date)}",
        ),
        ("Date", _when(record.appointment)),
        ("Product", record.get_product_display()),
        (
            "Lot" if len(vials) < 2 else "Lots",
            "; ".join(_vial_line(v) for v in vials) or "no vial chosen",
        ),
        ("Injector", str(record.injector)),
    ]
    if record.supervisor:
        lines.append(("Supervising prescriber", str(record.supervisor)))
    if record.amends_id:
        lines.append(("Amends", f"record {record.amends.public_id}"))
    for label, value in lines:
        pages.text(f"{label}: {value}", size=9.5)
    pages.y -= 6
    points = list(record.points.all())
    _face(pages, points)
    pages.text("Points", font="F2", size=11, gap=2)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for n, p in enumerate(points, 1):
        depth = f", {p.depth}" if p.depth else ""
        pages.text(f"{n}. {any_area_name(p.area)}: {p.units.normalize():f} U{depth}", size=9.5)
        key = "lateral canthal" if p.area.startswith("lateral_canthal") else p.area
        totals[key] += p.units
    session = sum(totals.values(), Decimal(0))
    pages.y -= 4
    summary = "; ".join(
        f"{any_area_name(area)} {units.normalize():f} U" for area, units in totals.items()
    )
    pages.text(f"Totals: {summary or 'none'}. Session: {session.normalize():f} U.", size=9.5, gap=6)
    if record.guard:
        pages.text("Dose guard at signing", font="F2", size=11, gap=2)
        for f in record.guard:
            reason = record.reasons.get(f["code"])
            pages.text(f"{f['message']}" + (f" Reason: {reason}" if reason else ""), size=9.5)
        pages.y -= 4
    for label, text in (("Before", record.notes_before), ("After", record.notes_after)):
        if text:
            pages.text(f"{label}: {text}", size=9.5)
    pages.y -= 6
    if record.locked:
        pages.text(
            f"Signed and locked by {record.injector} at "
            f"{_at(record.locked_at, record.appointment.location.zone)}.",
            font="F2",
            size=9.5,
        )
        if record.attestation:  # what the signature means, in the words shown at signing
            pages.text(record.attestation, size=9.5)
    for a in amendments:
        given = ", ".join(
            f"{any_area_name(p.area)} {p.units.normalize():f} U" for p in a.points.all()
        )
        zone = record.appointment.location.zone
        when = _at(a.locked_at, zone) if a.locked_at else "draft"
        pages.text(
            f"Amendment {when} by {a.injector}: {given or 'no points'}. {a.notes_after}", size=9.5
        )
        if a.locked and a.attestation:
            pages.text(a.attestation, size=9.5)
    return pages.bytes()
