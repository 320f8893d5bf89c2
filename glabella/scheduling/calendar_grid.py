"""The staff calendar as a time grid: a location's day with its providers as columns, or one
provider's week with the days as columns. Rows are quarter hours on the location's wall clock;
each visit is a block spanning the rows of its time, each free time a cell to tap and book, and
every quarter hour a place to drop a dragged visit.

Built from values rows (no model instances): a day of thirty providers is hundreds of blocks.
The layout is CSS grid placement classes (`c3 r12 s2`), since the page's CSP allows no inline style.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.urls import reverse

from glabella.scheduling.availability import to_instant
from glabella.scheduling.models import CANCELLED, Status
from glabella.scheduling.visit_actions import LABELS, WITH_A_FORM, VisitAction, allowed

STEP = timedelta(minutes=15)
DEFAULT_HOURS = (time(8), time(18))
MAX_ROWS = 96  # a whole day of quarter hours; calendar.css has placement classes up to this
STATUS_WORDS = {
    Status.BOOKED: "Booked",
    Status.CHECKED_IN: "Checked in",
    Status.COMPLETED: "Completed",
    Status.NO_SHOW: "No-show",
    Status.CANCELLED_BY_PATIENT: "Canceled by the patient",
    Status.CANCELLED_BY_CLINIC: "Canceled by the clinic",
}
VALUES = (
    "public_id",
    "provider_id",
    "starts_at",
    "ends_at",
    "status",
    "service__name",
    "service__kind",
    "patient_id",
    "patient__public_id",
    "patient__given_name",
    "patient__family_name",
    "room__name",
    "cancel_reason",
)
_ZERO = UUID(int=0)


def url_pattern(name: str, *args) -> str:
    """A URL with `{}` where the object's public id goes, reversed once per page."""
    return reverse(name, args=[_ZERO, *args]).replace(str(_ZERO), "{}")


@dataclass
class Column:
    key: object  # a provider's pk (day view) or a date (week view)
    heading: str
    day: date
    provider: object  # the StaffMember
    cells: list = field(default_factory=list)
    blocks: list = field(default_factory=list)
    index: int = 0  # its grid column (the times are column 1)


@dataclass
class Grid:
    columns: list[Column]
    times: list[tuple[int, str]]  # (row, "9:00 AM") on the hour and half hour
    cancelled: list[dict]


def hours_span(opening_rows, days: list[date], visits: list[tuple[datetime, datetime]], zone):
    """The wall-clock range the grid covers: the location's opening hours on the days shown,
    widened to whole hours and to every visit shown (a visit outside hours still shows)."""
    weekdays = {d.weekday() for d in days}
    opens = [o for w, o, _ in opening_rows if w in weekdays]
    closes = [c for w, _, c in opening_rows if w in weekdays]
    first = min(opens) if opens else DEFAULT_HOURS[0]
    last = max(closes) if closes else DEFAULT_HOURS[1]
    first_minutes = first.hour * 60
    last_minutes = last.hour * 60 + last.minute
    for start, end in visits:
        s, e = start.astimezone(zone), end.astimezone(zone)
        first_minutes = min(first_minutes, s.hour * 60)
        last_minutes = max(last_minutes, 24 * 60 if e.date() > s.date() else e.hour * 60 + e.minute)
    last_minutes = min(24 * 60, max(-(-last_minutes // 60) * 60, first_minutes + 60))
    return first_minutes, last_minutes


def build(
    *,
    columns: list[Column],
    rows: list[tuple],
    free: dict[tuple, set[datetime]],
    describe: dict,
    span: tuple[int, int],
    zone: ZoneInfo,
    now: datetime,
    week: bool,
) -> Grid:
    """Places the visits and the free times on the grid. `free` maps (column key, day) to the
    free starts of the service being booked; `describe` maps a visit's public id to what the
    apps above add (screening: its forms)."""
    first_minutes, last_minutes = span
    row_count = min(MAX_ROWS, (last_minutes - first_minutes) // 15)
    by_key = {c.key: c for c in columns}
    move_url = url_pattern("scheduling:move-visit")
    cancel_url = url_pattern("scheduling:cancel-visit")
    action_url = url_pattern("scheduling:appointment-action", "x").removesuffix("x/")
    patient_url = url_pattern("patients:record")
    cancelled = []
    for row in rows:
        item = _item(row, zone, now, first_minutes, describe, (move_url, cancel_url, action_url))
        item["patient_url"] = patient_url.format(row[8])
        if row[4] in CANCELLED:
            cancelled.append(item)
            continue
        column = by_key.get(item["day"] if week else row[1])
        if column is None or (item["day"] != column.day and not week):
            continue
        column.blocks.append(item)
    for index, column in enumerate(columns, start=2):
        column.index = index
        starts = free.get((column.key, column.day), set())
        for r in range(row_count):
            minutes = first_minutes + 15 * r
            local = datetime.combine(column.day, time(minutes // 60, minutes % 60), tzinfo=zone)
            instant = to_instant(column.day, local.time(), zone)
            column.cells.append(
                {
                    "row": r + 2,
                    "start": instant.isoformat(),
                    "label": f"{local:%-I:%M %p}",
                    "free": instant in starts,
                }
            )
        for block in column.blocks:
            block["row"] = max(2, min(block["row"], row_count + 1))
            block["span"] = max(1, min(block["span"], row_count + 2 - block["row"]))
    times = []
    for r in range(0, row_count, 2):
        minutes = first_minutes + 15 * r
        label = f"{time(minutes // 60, minutes % 60):%-I:%M %p}"
        times.append((r + 2, label))
    return Grid(columns=columns, times=times, cancelled=cancelled)


def _item(row, zone, now, first_minutes, describe, urls) -> dict:
    (
        public_id,
        _,
        starts_at,
        ends_at,
        status,
        service,
        _kind,
        _pk,
        _ppid,
        given,
        family,
        room,
        why,
    ) = row
    move_url, cancel_url, action_url = urls
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    minutes = start.hour * 60 + start.minute - first_minutes
    length = max(15, int((ends_at - starts_at).total_seconds() // 60))
    actions = []
    for action in allowed(status, starts_at, now, zone):
        if action is VisitAction.MOVE:
            url = move_url.format(public_id)
        elif action is VisitAction.CANCEL:
            url = cancel_url.format(public_id)
        else:
            url = f"{action_url.format(public_id)}{action.value}/"
        actions.append(
            {
                "slug": action.value,
                "label": LABELS[action],
                "url": url,
                "page": action in WITH_A_FORM,
            }
        )
    about = describe.get(public_id, {})
    forms = about.get("forms", [])
    missing = [label.lower() for label, done in forms if not done]
    return {
        "public_id": str(public_id),
        "day": start.date(),
        "time": f"{start:%-I:%M}\u2013{end:%-I:%M %p}",
        "start": start,
        "service": service,
        "patient": f"{given} {family}",
        "room": room,
        "status": status,
        "status_label": STATUS_WORDS.get(status, status),
        "reason": why,
        "row": 2 + minutes // 15,
        "span": -(-length // 15),
        "actions": actions,
        "post_actions": [a for a in actions if not a["page"]],
        "page_actions": [a for a in actions if a["page"]],
        # A drag is the Move action by other means: offered exactly when the action is.
        "move_url": next((a["url"] for a in actions if a["slug"] == VisitAction.MOVE), ""),
        "forms_known": bool(forms),
        "forms_done": bool(forms) and not missing,
        "forms_words": (
            "Forms done" if forms and not missing else f"Forms: {' and '.join(missing)} missing"
        )
        if forms
        else "",
    }
