"""Charts drawn on the server as SVG (no script, no library, nothing from another site). Pure:
plain values in, markup out; every text is escaped. Colours are SVG attributes, not inline
styles, so the pages' Content-Security-Policy holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from glabella.catalogue.areas import NAMES, any_area_name

INK, MUTED, ACCENT, SOFT, GOOD = "#1f2933", "#6b7785", "#2f6f8f", "#cfe3ec", "#3c8d5a"


def _day(d: date) -> str:
    """A day in the house's style: Dec 1, 2026."""
    return f"{d:%b} {d.day}, {d.year}"


def _area(key: str) -> str:
    """An area's plain name (Crow's feet, patient's right), never its key."""
    return NAMES[key].plain if key in NAMES else any_area_name(key)


def _label_width(labels: list[str], font_size: int) -> int:
    """Room for the longest label at this size (about 0.55 em a character), so none is cut."""
    longest = max((len(label) for label in labels), default=0)
    return max(110, min(360, int(longest * font_size * 0.56) + 16))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to show yet
    note: str = ""  # e.g. "n = 40"


def bars(rows: list[Bar], *, maximum: float, unit: str = "", title: str = "") -> str:
    """A horizontal bar per row, labelled, scaled to `maximum`."""
    label_w, row_h = _label_width([r.label for r in rows], 13), 26
    width = label_w + 440
    height = row_h * max(len(rows), 1) + 10
    span = width - label_w - 110
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for n, row in enumerate(rows):
        y = 5 + n * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13" '
            f'fill="{INK}">{escape(row.label)}</text>'
        )
        if row.value is None:
            parts.append(
                f'<text x="{label_w}" y="{y + 17}" font-size="12" fill="{MUTED}">'
                f"not enough yet {escape(row.note)}</text>"
            )
            continue
        w = max(1.0, span * min(row.value, maximum) / maximum) if maximum else 1.0
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{ACCENT}" rx="2"/>'
        )
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" font-size="12" fill="{INK}">'
            f"{row.value:.0f}{escape(unit)} {escape(row.note)}</text>"
        )
    if not rows:
        parts.append(f'<text x="10" y="22" font-size="13" fill="{MUTED}">No data yet.</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Treated:
    on: date
    label: str  # e.g. "BOTOX Cosmetic 20 U"


@dataclass(frozen=True)
class Span:
    area: str
    start: date
    end: date
    open_end: bool  # still working when last heard of (censored), or not known yet


@dataclass(frozen=True)
class Predicted:
    start: date
    median: date
    low: date
    high: date


@dataclass(frozen=True)
class Point:
    on: date
    grade: int  # 0 to 3, at maximum contraction
    rater: str


def timeline(
    treated: list[Treated],
    spans: list[Span],
    predicted: Predicted | None,
    points: list[Point],
    *,
    today: date,
    title: str = "Treatment timeline",
) -> str:
    """Treatments as marks on a time axis; below, each area's duration (a bar; an open end when
    it was still working when last heard of); the forecast with its 80% interval; and the
    wrinkle grades at maximum contraction (0 to 3) in a band of their own."""
    days = [t.on for t in treated] + [s.end for s in spans] + [p.on for p in points] + [today]
    if predicted:
        days += [predicted.high]
    first = min(days) - timedelta(days=10)
    last = max(days) + timedelta(days=10)
    total = max((last - first).days, 1)
    areas = sorted({s.area for s in spans})
    left, right = _label_width([_area(a) for a in areas] + ["forecast"], 12), 20
    width = left + 650
    lanes = len(areas) + (1 if predicted else 0)
    top = 40
    lane_h = 24
    grade_top = top + lanes * lane_h + 20
    height = grade_top + 4 * 16 + 40

    def x(day: date) -> float:
        return left + (width - left - right) * (day - first).days / total

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    # Month ticks along the bottom.
    tick = date(first.year, first.month, 1)
    while tick <= last:
        if tick >= first:
            tx = x(tick)
            out.append(
                f'<line x1="{tx:.1f}" y1="{top - 10}" x2="{tx:.1f}" y2="{height - 24}" '
                f'stroke="#e5e9ee"/>'
            )
            if tick.month in (1, 4, 7, 10):
                out.append(
                    f'<text x="{tx:.1f}" y="{height - 8}" font-size="11" fill="{MUTED}" '
                    f'text-anchor="middle">{tick:%b %Y}</text>'
                )
        tick = date(tick.year + tick.month // 12, tick.month % 12 + 1, 1)
    tx = x(today)
    out.append(
        f'<line x1="{tx:.1f}" y1="{top - 14}" x2="{tx:.1f}" y2="{height - 24}" stroke="{INK}" '
        f'stroke-dasharray="3 3"/><text x="{tx + 3:.1f}" y="{top - 16}" font-size="11" '
        f'fill="{INK}">today</text>'
    )
    for t in treated:
        tx = x(t.on)
        out.append(
            f'<path d="M{tx:.1f} {top - 12} l5 -8 h-10 z" fill="{ACCENT}"><title>'
            f"{escape(_day(t.on))}: {escape(t.label)}</title></path>"
        )
    for n, area in enumerate(areas):
        y = top + n * lane_h
        out.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{escape(_area(area))}</text>'
        )
        for s in (s for s in spans if s.area == area):
            x1, x2 = x(s.start), max(x(s.end), x(s.start) + 2)
            out.append(
                f'<rect x="{x1:.1f}" y="{y + 4}" width="{x2 - x1:.1f}" height="14" '
                f'fill="{GOOD if not s.open_end else SOFT}" rx="2"><title>{escape(_area(area))}: '
                f"{(s.end - s.start).days} days{' or more' if s.open_end else ''}</title></rect>"
            )
            if s.open_end:
                out.append(f'<path d="M{x2:.1f} {y + 4} l7 7 l-7 7 z" fill="{SOFT}"/>')
    if predicted:
        y = top + len(areas) * lane_h
        out.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="{INK}">forecast</text>'
        )
        x1, xm = x(predicted.start), x(predicted.median)
        xl, xh = x(predicted.low), x(predicted.high)
        out.append(
            f'<rect x="{x1:.1f}" y="{y + 7}" width="{max(xm - x1, 1):.1f}" height="8" '
            f'fill="{SOFT}"/><line x1="{xl:.1f}" y1="{y + 11}" x2="{xh:.1f}" y2="{y + 11}" '
            f'stroke="{ACCENT}" stroke-width="2"/><line x1="{xl:.1f}" y1="{y + 5}" '
            f'x2="{xl:.1f}" y2="{y + 17}" stroke="{ACCENT}"/><line x1="{xh:.1f}" y1="{y + 5}" '
            f'x2="{xh:.1f}" y2="{y + 17}" stroke="{ACCENT}"/><circle cx="{xm:.1f}" '
            f'cy="{y + 11}" r="5" fill="{ACCENT}"><title>Expected to wear off '
            f"{escape(_day(predicted.median))} (80%: {escape(_day(predicted.low))}"
            f" to {escape(_day(predicted.high))})</title></circle>"
        )
    out.append(
        f'<text x="{left - 8}" y="{grade_top + 28}" text-anchor="end" font-size="12" '
        f'fill="{INK}">grade</text>'
    )
    for g in range(4):
        gy = grade_top + (3 - g) * 16
        out.append(
            f'<text x="{left - 24}" y="{gy + 4}" font-size="10" fill="{MUTED}">{g}</text>'
            f'<line x1="{left}" y1="{gy}" x2="{width - right}" y2="{gy}" stroke="#eef1f4"/>'
        )
    for p in points:
        gy = grade_top + (3 - p.grade) * 16
        fill = ACCENT if p.rater == "injector" else "#ffffff"
        out.append(
            f'<circle cx="{x(p.on):.1f}" cy="{gy}" r="4" fill="{fill}" stroke="{ACCENT}">'
            f"<title>{escape(_day(p.on))}: grade {p.grade} by the {escape(p.rater)}"
            f"</title></circle>"
        )
    out.append("</svg>")
    return "".join(out)
