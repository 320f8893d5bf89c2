"""What the patient is told when a booking is made, moved or cancelled, and when it is near.

Every message carries only the time, the place and a link: no service name, no clinical word,
since a text or an email can be read by whoever holds the phone. The link carries a signed token
that expires (MANAGE_LINK_DAYS).
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from glabella.messaging.outbox import Attachment, cancel_pending, queue_to_patient
from glabella.scheduling import calendars, signals

MANAGE_SALT = "glabella.scheduling.manage-booking"
REMINDER = "reminder"


def manage_token(appointment) -> str:
    return signing.TimestampSigner(salt=MANAGE_SALT).sign(str(appointment.public_id))


def read_manage_token(token: str) -> str:
    """The appointment's public id; raises signing.BadSignature (or SignatureExpired)."""
    max_age = timedelta(days=settings.MANAGE_LINK_DAYS)
    return signing.TimestampSigner(salt=MANAGE_SALT).unsign(token, max_age=max_age)


def manage_url(appointment) -> str:
    path = reverse("scheduling:manage", args=[manage_token(appointment)])
    return f"{settings.SITE_URL}{path}"


def when(appointment) -> str:
    local = appointment.local_start
    return f"{local:%A}, {local:%B} {local.day}, {local:%Y} at {local:%-I:%M %p} ({local.tzname()})"


def place(appointment) -> str:
    loc = appointment.location
    return f"{loc.name}, {loc.address_line1}, {loc.city}"


def reminder_instant(start: datetime, hours: int, zone) -> datetime:
    """When a reminder `hours` before `start` goes out. Whole days are counted on the wall
    clock, so a 48-hour reminder for 10:00 Monday goes at 10:00 Saturday local time even when
    the clocks change on Sunday; the hours left over are counted as elapsed time."""
    days, rest = divmod(hours, 24)
    local = start.astimezone(zone)
    wall = (local.replace(tzinfo=None) - timedelta(days=days)).replace(tzinfo=zone)
    return wall.astimezone(UTC) - timedelta(hours=rest)  # elapsed time is counted in UTC


def _short_day(appointment) -> str:
    local = appointment.local_start
    return f"{local:%b} {local.day}"


def _about(appointment) -> str:
    return f"appointment:{appointment.public_id}"


def _send(
    appointment, topic: str, subject: str, text: str, *, now, due_at=None, key=None, ics=False
):
    def calendar_file():
        ics_text = calendars.patient_ics(appointment, manage_url(appointment), now)
        return (Attachment("appointment.ics", "text/calendar", ics_text),)

    return queue_to_patient(
        appointment.patient,
        topic=topic,
        subject=subject,
        body=text,
        about=_about(appointment),
        now=now,
        due_at=due_at,
        dedupe_key=key,
        email_attachments=calendar_file if ics else None,
    )


def policy_text(appointment) -> str:
    """The clinic's cancellation policy for a message ("" when it has none), from whoever
    takes payments (scheduling's `booking_policy` question)."""
    answers = signals.booking_policy.send(
        type(appointment), service=appointment.service, location=appointment.location
    )
    found = next((answer for _, answer in answers if answer), None)
    if not found:
        return ""
    words = " ".join([found.get("text", ""), *found.get("fees", [])]).strip()
    return f"Our cancellation policy: {words}\n" if words else ""


def _schedule_reminders(appointment, now) -> None:
    for hours in settings.REMINDER_HOURS:
        due = reminder_instant(appointment.starts_at, hours, appointment.location.zone)
        if due <= now:
            continue
        _send(
            appointment,
            REMINDER,
            f"Reminder: your appointment on {_short_day(appointment)}",
            f"A reminder of your appointment on {when(appointment)} at {place(appointment)}.\n"
            f"To change or cancel it: {manage_url(appointment)}\n" + policy_text(appointment),
            now=now,
            due_at=due,
            # One per booking, lead and move: moving back to an earlier time (whose reminders
            # were cancelled) must schedule them afresh, not find the old key taken.
            key=f"{_about(appointment)}:{REMINDER}:{hours}h:{appointment.times_rescheduled}",
        )


def booked(appointment, now) -> None:
    _send(
        appointment,
        "confirmation",
        f"Your appointment at {appointment.location.name} is booked",
        f"You are booked for {when(appointment)} at {place(appointment)}.\n"
        f"To change or cancel it: {manage_url(appointment)}\n" + policy_text(appointment),
        now=now,
        ics=True,
    )
    _schedule_reminders(appointment, now)


def rescheduled(appointment, now) -> None:
    cancel_pending(_about(appointment), topics=(REMINDER,))
    _send(
        appointment,
        "rescheduled",
        f"Your appointment at {appointment.location.name} has moved",
        f"Your appointment is now on {when(appointment)} at {place(appointment)}.\n"
        f"To change or cancel it: {manage_url(appointment)}\n" + policy_text(appointment),
        now=now,
        ics=True,
    )
    _schedule_reminders(appointment, now)


def cancelled(appointment, now) -> None:
    cancel_pending(_about(appointment))
    _send(
        appointment,
        "cancellation",
        f"Your appointment at {appointment.location.name} is canceled",
        f"Your appointment on {when(appointment)} at {place(appointment)} is canceled.\n"
        f"To book another time: {settings.SITE_URL}{reverse('scheduling:book')}\n",
        now=now,
    )


def slot_offered(entry, start: datetime, now) -> None:
    """A waitlisted patient hears that a time has opened; first to book it has it."""
    local = start.astimezone(entry.location.zone)
    link = f"{settings.SITE_URL}{reverse('scheduling:book')}?location={entry.location.slug}"
    queue_to_patient(
        entry.patient,
        topic="waitlist_offer",
        subject=f"A time has opened at {entry.location.name}",
        body=(
            f"A time has opened at {entry.location.name} on {local:%A}, {local:%B} {local.day}, at "
            f"{local:%-I:%M %p}. It goes to whoever books it first: {link}\n"
        ),
        about=f"waitlist:{entry.public_id}",
        now=now,
    )
