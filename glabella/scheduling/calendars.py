"""iCalendar documents: the .ics attached to a confirmation and a provider's subscription feed.

Times are written with their location's TZID and a VTIMEZONE built from the IANA zone, so a
calendar client shows 10:00 in Thousand Oaks as 10:00 there, on both sides of a DST change.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone

from glabella.core.language import speaking

PRODID = "-//glabella//scheduling//EN"


def _calendar(name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _add_zones(cal: Calendar, zones: set[str], first: datetime, last: datetime) -> None:
    for zone in sorted(zones):
        cal.add_component(Timezone.from_tzid(zone, first_date=first.date(), last_date=last.date()))


def _event(appointment, *, summary: str, description: str, url: str | None, now) -> Event:
    zone = appointment.location.zone
    event = Event()
    event.add("uid", f"{appointment.public_id}@glabella")
    event.add("dtstamp", now)
    event.add("dtstart", appointment.starts_at.astimezone(zone))
    event.add("dtend", appointment.ends_at.astimezone(zone))
    event.add("summary", summary)
    event.add("location", _address(appointment.location))
    event.add("description", description)
    event.add("sequence", appointment.times_rescheduled)
    event.add("status", "CANCELLED" if not appointment.is_live else "CONFIRMED")
    if url:
        event.add("url", url)
    return event


def _address(location) -> str:
    parts = [location.name, location.address_line1, location.address_line2]
    parts.append(f"{location.city}, {location.state} {location.postal_code}")
    return ", ".join(p for p in parts if p)


def patient_ics(appointment, manage_url: str, now: datetime) -> str:
    """One appointment for the patient's calendar: time, place and the link, nothing clinical;
    its words in the patient's language (the link is the caller's, in hers too)."""
    cal = _calendar()
    cal.add("method", "PUBLISH")
    start = appointment.starts_at
    _add_zones(cal, {appointment.location.time_zone}, start - timedelta(days=1), start)
    with speaking(appointment.patient):
        summary = _("Appointment at %(clinic)s") % {"clinic": appointment.location.name}
        description = _("Change or cancel: %(link)s") % {"link": manage_url}
    cal.add_component(
        _event(appointment, summary=summary, description=description, url=manage_url, now=now)
    )
    return cal.to_ical().decode()


def provider_feed(staff, appointments: Iterable, now: datetime) -> str:
    """A provider's own schedule for a calendar subscription. The provider treats these
    patients, so the summary names the patient's initials and the service."""
    items = list(appointments)
    cal = _calendar(f"glabella: {staff.full_name}")
    cal.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT15M")
    if items:
        first = min(a.starts_at for a in items)
        last = max(a.ends_at for a in items)
        _add_zones(cal, {a.location.time_zone for a in items}, first - timedelta(days=1), last)
    for a in items:
        initials = f"{a.patient.given_name[:1]}{a.patient.family_name[:1]}".upper()
        cal.add_component(
            _event(
                a,
                summary=f"{a.service.name}: {initials}",
                description=f"{settings.SITE_URL}/staff/calendar/?day={a.local_start.date()}",
                url=None,
                now=now,
            )
        )
    return cal.to_ical().decode()
