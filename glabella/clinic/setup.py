"""The owner's set-up of the clinic: its identity (name, phone, email sender, colors, logo),
locations (address, zone, opening hours, closed days, the towns and ZIP codes served), rooms and
services. Each service takes the Actor, checks MANAGE_CLINIC, validates field by field
(`ValidationFailed`, nothing written) and writes with its access-log row in one transaction."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, time
from itertools import pairwise

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.text import slugify

from glabella.clinic.areas import area_key
from glabella.clinic.colors import MIN_CONTRAST, PAGE, contrast
from glabella.clinic.models import (
    HEX_COLOR,
    ClosedDay,
    Location,
    OpeningHours,
    Organisation,
    Room,
    Service,
    ServiceArea,
)
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.phones import InvalidPhone, to_e164
from glabella.core.roles import Capability, Credential

LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_PIXELS = 4_000_000
STATE_RE = re.compile(r"^[A-Z]{2}$")
ZIP_RE = re.compile(r"^\d{5}(-\d{4})?$")
WEEKDAYS = [(d.value, d.label) for d in OpeningHours.Weekday]
MAX_CANCELLATION_HOURS = 24 * 14
MAX_LEAD_MINUTES = 60 * 24 * 30
MAX_HORIZON_DAYS = 730


def _require(actor: Actor) -> None:
    if not actor.can(Capability.MANAGE_CLINIC):
        raise Forbidden("Only the owner sets up the clinic.")


def _record(actor: Actor, action: str, what: str, object_id, changed: dict) -> None:
    audit.record(
        actor,
        action,
        audit.Kind.CLINIC_SET_UP,
        object_id,
        detail={"what": what, "changed": changed},
    )


def _apply(instance, data: dict) -> dict:
    """Sets the fields that differ; returns {field: [old, new]} for the audit row."""
    changed = {}
    for name, value in data.items():
        old = getattr(instance, name)
        if old != value:
            changed[name] = [str(old), str(value)]
            setattr(instance, name, value)
    return changed


def _clean(instance, errors: dict, exclude=()) -> None:
    """The model's own rules (lengths, validators, uniqueness), added to `errors`."""
    try:
        instance.full_clean(exclude=list(exclude))
    except DjangoValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))


def _phone(data: dict, errors: dict, name: str, required: bool) -> None:
    raw = (data.get(name) or "").strip()
    if not raw and not required:
        data[name] = ""
        return
    try:
        data[name] = to_e164(raw)
    except InvalidPhone as exc:
        errors[name] = [str(exc)]


# ------------------------------------------------------------------------------ identity


def organisation() -> Organisation | None:
    return Organisation.objects.order_by("id").first()


def _logo(upload: bytes, errors: dict) -> tuple[bytes, str] | None:
    from PIL import Image, UnidentifiedImageError

    if len(upload) > MAX_LOGO_BYTES:
        errors["logo"] = [f"The logo is over {MAX_LOGO_BYTES // 1024} KB; upload a smaller file."]
        return None
    try:
        with Image.open(io.BytesIO(upload)) as image:
            kind = image.format
            if image.width * image.height > MAX_LOGO_PIXELS:
                errors["logo"] = ["The logo has too many pixels; upload a smaller image."]
                return None
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        errors["logo"] = ["This file is not an image we can read; upload a PNG, JPEG or WebP."]
        return None
    if kind not in LOGO_TYPES:
        errors["logo"] = ["Upload the logo as a PNG, JPEG or WebP image."]
        return None
    return upload, LOGO_TYPES[kind]


def save_identity(
    actor: Actor, data: dict, *, logo: bytes | None = None, remove_logo: bool = False
) -> Organisation:
    """The clinic's name, phone, email sender and colors (and logo): on every page, message
    and PDF. The main color must read on the page and under its text color (4.5:1)."""
    _require(actor)
    org = organisation() or Organisation(name="")
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    errors: dict[str, list[str]] = {}
    _phone(data, errors, "phone", required=False)
    for name in ("main_color", "text_color"):
        data[name] = (data.get(name) or "").lower()
        try:
            HEX_COLOR(data[name])
        except DjangoValidationError as exc:
            errors[name] = list(exc.messages)
    if not errors.get("main_color") and not errors.get("text_color"):
        if contrast(data["main_color"], PAGE) < MIN_CONTRAST:
            errors["main_color"] = [
                "Too light to read as links on the page; choose a darker color."
            ]
        elif contrast(data["main_color"], data["text_color"]) < MIN_CONTRAST:
            errors["text_color"] = [
                "Too close to the main color to be read on it; choose a lighter or darker one."
            ]
    new_logo = _logo(logo, errors) if logo else None
    fields = {k: v for k, v in data.items() if k not in errors}
    changed = _apply(org, fields)
    _clean(org, errors, exclude=["logo", "logo_type", "logo_version", *errors])
    if errors:
        raise ValidationFailed(errors)
    if new_logo is not None:
        org.logo, org.logo_type = new_logo
        org.logo_version = hashlib.sha256(new_logo[0]).hexdigest()[:12]
        changed["logo"] = ["", org.logo_version]
    elif remove_logo and org.logo_type:
        org.logo, org.logo_type, org.logo_version = b"", "", ""
        changed["logo"] = ["removed", ""]
    with write_transaction():
        org.save()
        _record(actor, audit.Action.UPDATE, "identity", org.public_id, changed)
    return org


# ------------------------------------------------------------------------------ locations


def _unique_slug(model, name: str, instance=None) -> str:
    base = slugify(name)[:40] or "item"
    slug, n = base, 2
    others = model.objects.exclude(pk=instance.pk) if instance and instance.pk else model.objects
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def save_location(actor: Actor, location: Location | None, data: dict) -> Location:
    """A location's name, address, phone, email, IANA time zone, directions and cancellation
    window (a new one when `location` is None)."""
    _require(actor)
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    errors: dict[str, list[str]] = {}
    _phone(data, errors, "phone", required=True)
    if "state" in data:
        data["state"] = (data["state"] or "").upper()
        if not STATE_RE.match(data["state"]):
            errors["state"] = ["Enter the state as two letters, e.g. CA."]
    if "postal_code" in data and not ZIP_RE.match(data["postal_code"] or ""):
        errors["postal_code"] = ["Enter a five-digit ZIP code, e.g. 91362."]
    window = data.get("cancellation_window_hours")
    if window is not None and not 0 <= window <= MAX_CANCELLATION_HOURS:
        errors["cancellation_window_hours"] = [
            f"Enter between 0 and {MAX_CANCELLATION_HOURS} hours (two weeks)."
        ]
    new = location is None
    if new:
        org = organisation()
        if org is None:
            raise ValidationFailed({"name": ["Set up the clinic's name first."]})
        location = Location(organisation=org)
    fields = {k: v for k, v in data.items() if k not in errors}
    changed = _apply(location, fields)
    if new:
        location.slug = _unique_slug(Location, location.name or "location")
    _clean(location, errors, exclude=list(errors))
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        location.save()
        action = audit.Action.CREATE if new else audit.Action.UPDATE
        _record(actor, action, "location", location.public_id, changed)
    return location


Interval = tuple[time | None, time | None]


def set_opening_hours(actor: Actor, location: Location, week: dict[int, list[Interval]]) -> None:
    """The location's weekly opening hours: for each weekday, up to a few intervals (an empty
    day is closed). Errors are keyed `<weekday>_opens_<n>` (`0_opens_1`: Monday's first)."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    rows = []
    for weekday, intervals in week.items():
        kept = []
        for n, (opens, closes) in enumerate(intervals, 1):
            key = f"{weekday}_opens_{n}"
            if opens is None and closes is None:
                continue
            if opens is None or closes is None:
                errors[key] = ["Give both the opening and the closing time, or neither."]
            elif opens >= closes:
                errors[key] = ["The closing time must be after the opening time."]
            else:
                kept.append((key, opens, closes))
        kept.sort(key=lambda k: k[1])
        for (_, _, a_end), (key, b_start, _) in pairwise(kept):
            if b_start < a_end:
                errors[key] = ["This overlaps the day's other opening hours."]
        rows += [
            OpeningHours(location=location, weekday=weekday, opens=o, closes=c) for _, o, c in kept
        ]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        location.opening_hours.all().delete()
        OpeningHours.objects.bulk_create(rows)
        _record(
            actor,
            audit.Action.UPDATE,
            "opening hours",
            location.public_id,
            {"hours": [f"{r.weekday} {r.opens:%H:%M}-{r.closes:%H:%M}" for r in rows]},
        )


def split_areas(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[\n,;]+", text or "") if p.strip()]


def set_service_areas(actor: Actor, location: Location, text: str) -> list[ServiceArea]:
    """The towns and ZIP codes a location serves, one per line or separated by commas; the
    list replaces the old one (its own city and ZIP code are always served)."""
    _require(actor)
    labels, keys, bad = [], set(), []
    for label in split_areas(text):
        key = area_key(label)
        if key is None:
            bad.append(f"“{label[:60]}” is neither a town's name nor a five-digit ZIP code.")
        elif key not in keys:
            keys.add(key)
            labels.append(label[:100])
    if bad:
        raise ValidationFailed({"areas": bad})
    with write_transaction():
        location.service_areas.all().delete()
        areas = [ServiceArea(location=location, label=label) for label in labels]
        for area in areas:
            area.save()
        _record(actor, audit.Action.UPDATE, "service area", location.public_id, {"areas": labels})
    return areas


def add_closed_day(
    actor: Actor, location: Location, day: date | None, reason: str, *, today: date
) -> ClosedDay:
    """A date the location is closed: online and staff booking refuse it."""
    _require(actor)
    reason = (reason or "").strip()
    if day is None:
        raise ValidationFailed({"day": ["Enter the date the location is closed."]})
    if day < today:
        raise ValidationFailed({"day": ["That date has passed; choose today or a later date."]})
    if len(reason) > 100:
        raise ValidationFailed({"reason": ["Keep the reason under 100 characters."]})
    already = ValidationFailed({"day": ["The location is already closed on that date."]})
    if location.closed_days.filter(day=day).exists():
        raise already
    try:
        with write_transaction():
            closed = ClosedDay.objects.create(location=location, day=day, reason=reason)
            _record(
                actor,
                audit.Action.CREATE,
                "closed day",
                location.public_id,
                {"day": str(day), "reason": reason},
            )
    except IntegrityError:  # the same day added at once from another page
        raise already from None
    return closed


def remove_closed_day(actor: Actor, closed: ClosedDay) -> None:
    _require(actor)
    with write_transaction():
        closed.delete()
        _record(
            actor,
            audit.Action.DELETE,
            "closed day",
            closed.location.public_id,
            {"day": str(closed.day)},
        )


# ------------------------------------------------------------------------------ rooms


def save_room(actor: Actor, location: Location, room: Room | None, name: str, active=True) -> Room:
    """A room added at a location, or renamed or switched off (never deleted: visits name it)."""
    _require(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": ["Give the room a name."]})
    if len(name) > 100:
        raise ValidationFailed({"name": ["Keep the name under 100 characters."]})
    same = location.rooms.filter(name__iexact=name)
    if room is not None:
        same = same.exclude(pk=room.pk)
    if same.exists():
        raise ValidationFailed({"name": [f"{location.name} already has a room called {name}."]})
    new = room is None
    room = room or Room(location=location)
    changed = _apply(room, {"name": name, "active": active})
    with write_transaction():
        room.save()
        _record(
            actor,
            audit.Action.CREATE if new else audit.Action.UPDATE,
            "room",
            room.public_id,
            changed,
        )
    return room


# ------------------------------------------------------------------------------ services


def save_service(actor: Actor, service: Service | None, data: dict, rooms: list[Room]) -> Service:
    """A service's name (and, optionally, its name and description in Spanish), kind, length,
    price, buffers, who performs it (credentials), rooms, online booking and its rules (lead
    time, horizon, consultation within), deposit flag."""
    _require(actor)
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    errors: dict[str, list[str]] = {}
    credentials = data.get("performer_credentials") or []
    if not credentials:
        errors["performer_credentials"] = ["Choose at least one credential that may perform it."]
    elif any(c not in Credential.values for c in credentials):
        errors["performer_credentials"] = ["Choose from the credentials listed."]
    lead = data.get("lead_time_minutes")
    if lead is not None and lead > MAX_LEAD_MINUTES:
        errors["lead_time_minutes"] = ["At most 30 days' notice."]
    horizon = data.get("horizon_days")
    if horizon is not None and horizon > MAX_HORIZON_DAYS:
        errors["horizon_days"] = [f"At most {MAX_HORIZON_DAYS} days ahead."]
    within = data.get("consultation_within_days")
    if within is not None and not 1 <= within <= 3650:
        errors["consultation_within_days"] = ["Enter between 1 and 3650 days, or leave it empty."]
    if any(not r.active for r in rooms):
        errors["rooms"] = ["Choose rooms in use."]
    new = service is None
    if new:
        org = organisation()
        if org is None:
            raise ValidationFailed({"name": ["Set up the clinic's name first."]})
        service = Service(organisation=org)
    name = data.get("name") or ""
    if name and Service.objects.filter(name__iexact=name).exclude(pk=service.pk).exists():
        errors["name"] = ["Another service already has this name."]
    fields = {k: v for k, v in data.items() if k not in errors}
    changed = _apply(service, fields)
    if new:
        service.slug = _unique_slug(Service, service.name or "service")
    _clean(service, errors, exclude=list(errors))
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        service.save()
        old_rooms = set(service.rooms.values_list("pk", flat=True))
        if old_rooms != {r.pk for r in rooms}:
            service.rooms.set(rooms)
            changed["rooms"] = [str(sorted(old_rooms)), str(sorted(r.pk for r in rooms))]
        action = audit.Action.CREATE if new else audit.Action.UPDATE
        _record(actor, action, "service", service.public_id, changed)
    return service


# ------------------------------------------------------------------------------ booking policies


def set_booking_policies(
    actor: Actor,
    windows: dict[Location, int | None],
    rules: dict[Service, tuple[int | None, int | None, int | None]],
) -> None:
    """The booking rules in one place: each location's cancellation window (hours) and each
    service's lead time (minutes), horizon (days) and consultation-within (days). Errors are
    keyed `window_<location public id>` and `lead_<service public id>` (and horizon_, within_)."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    for loc, hours in windows.items():
        if hours is None or not 0 <= hours <= MAX_CANCELLATION_HOURS:
            errors[f"window_{loc.public_id}"] = [
                f"Enter between 0 and {MAX_CANCELLATION_HOURS} hours."
            ]
    for svc, (lead, horizon, within) in rules.items():
        if lead is None or not 0 <= lead <= MAX_LEAD_MINUTES:
            errors[f"lead_{svc.public_id}"] = ["Enter between 0 minutes and 30 days' notice."]
        if horizon is None or not 1 <= horizon <= MAX_HORIZON_DAYS:
            errors[f"horizon_{svc.public_id}"] = [f"Enter between 1 and {MAX_HORIZON_DAYS} days."]
        if within is not None and not 1 <= within <= 3650:
            errors[f"within_{svc.public_id}"] = [
                "Enter between 1 and 3650 days, or leave it empty."
            ]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        changed = {}
        for loc, hours in windows.items():
            diff = _apply(loc, {"cancellation_window_hours": hours})
            if diff:
                loc.save(update_fields=["cancellation_window_hours"])
                changed[f"{loc.name}"] = diff
        for svc, (lead, horizon, within) in rules.items():
            diff = _apply(
                svc,
                {
                    "lead_time_minutes": lead,
                    "horizon_days": horizon,
                    "consultation_within_days": within,
                },
            )
            if diff:
                svc.save(update_fields=list(diff))
                changed[f"{svc.name}"] = diff
        org = organisation()
        _record(
            actor, audit.Action.UPDATE, "booking policies", org.public_id if org else "", changed
        )
