"""What the patient is told when a booking is made, moved or cancelled, and when it is near.

Every message carries only the time, the place and a link: no service name, no clinical word,
since a text or an email can be read by whoever holds the phone. The link carries a signed token
that expires (MANAGE_LINK_DAYS). Each is written in the patient's language (`speaking`): its
words, its dates and its links (under /es/ in Spanish). A text is a shorter wording than the
email, kept within three parts (`messaging.sms.fitting`): without the clinic's name when the name
would make it longer; the cancellation policy is in the email and on the link's page.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from glabella.core import language
from glabella.core.language import day_and_time, short_day, speaking
from glabella.messaging import twilio_gateway
from glabella.messaging.outbox import Attachment, cancel_pending, queue_to_patient
from glabella.messaging.sms import fitting
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
    """The visit's day and time in words, in the active language, with the zone's abbreviation."""
    local = appointment.local_start
    return f"{day_and_time(local, local.tzinfo)} ({local.tzname()})"


def place(appointment) -> str:
    loc = appointment.location
    return f"{loc.name}, {loc.address_line1}, {loc.city}"


# A text's day and time, short: "Tue Dec 1, 10:30 AM" / "1 de dic., 10:30 a.m." (in Spanish
# without the weekday: "sábado" would turn the whole text into 70-character parts).
SMS_WHEN = {"en": "D M j, g:i A", "es": r"j \d\e N, g:i a"}


def _sms_when(start: datetime, zone) -> str:
    local = start.astimezone(zone)
    return date_format(local, SMS_WHEN.get(language.current(), SMS_WHEN[language.DEFAULT]))


def sms_when(appointment) -> str:
    """The visit's day and time as a text says it, in the active language."""
    return _sms_when(appointment.starts_at, appointment.location.zone)


def reminder_instant(start: datetime, hours: int, zone) -> datetime:
    """When a reminder `hours` before `start` goes out. Whole days are counted on the wall
    clock, so a 48-hour reminder for 10:00 Monday goes at 10:00 Saturday local time even when
    the clocks change on Sunday; the hours left over are counted as elapsed time."""
    days, rest = divmod(hours, 24)
    local = start.astimezone(zone)
    wall = (local.replace(tzinfo=None) - timedelta(days=days)).replace(tzinfo=zone)
    return wall.astimezone(UTC) - timedelta(hours=rest)  # elapsed time is counted in UTC


def _short_day(appointment) -> str:
    return short_day(appointment.local_start)


def _about(appointment) -> str:
    return f"appointment:{appointment.public_id}"


def _send(
    appointment,
    topic: str,
    subject: str,
    text: str,
    sms: list[str],
    *,
    now,
    due_at=None,
    key=None,
    ics=False,
):
    """Queues one message (built by the caller in the patient's language): `text` for an
    email, the first of `sms` that fits in three parts for a text."""

    def calendar_file():
        ics_text = calendars.patient_ics(appointment, manage_url(appointment), now)
        return (Attachment("appointment.ics", "text/calendar", ics_text),)

    return queue_to_patient(
        appointment.patient,
        topic=topic,
        subject=subject,
        body=text,
        sms_body=fitting(sms),
        about=_about(appointment),
        now=now,
        due_at=due_at,
        dedupe_key=key,
        email_attachments=calendar_file if ics else None,
    )


def policy_text(appointment) -> str:
    """The clinic's cancellation policy for a message ("" when it has none), from whoever
    takes payments (scheduling's `booking_policy` question). The clinic writes the policy in its
    own words (kept as written); the fees are said in the active language."""
    answers = signals.booking_policy.send(
        type(appointment), service=appointment.service, location=appointment.location
    )
    found = next((answer for _, answer in answers if answer), None)
    if not found:
        return ""
    words = " ".join([found.get("text", ""), *found.get("fees", [])]).strip()
    return _("Our cancellation policy: %(words)s") % {"words": words} + "\n" if words else ""


def _texts(appointment, link: str, lines: dict[str, str]) -> list[str]:
    """A text's candidates, most helpful first: with the clinic's name, then without it (a
    long name, or one that forces the whole text into 70-character parts)."""
    loc = appointment.location
    values = {"when": _sms_when(appointment.starts_at, loc.zone), "link": link}
    return [
        lines["with_place"] % {**values, "place": loc.name},
        lines["without_place"] % values,
    ]


def _asking_to_confirm(texts: list[str]) -> list[str]:
    """A reminder's texts ask for a "C" back while texts reach us (Twilio set up): each
    candidate with the question, then the plain ones, so one still fits in three parts."""
    if not twilio_gateway.enabled():
        return texts
    ask = _("Reply C to confirm.")
    return [f"{t}\n{ask}" for t in texts] + texts


def _schedule_reminders(appointment, now) -> None:
    for hours in settings.REMINDER_HOURS:
        due = reminder_instant(appointment.starts_at, hours, appointment.location.zone)
        if due <= now:
            continue
        with speaking(appointment.patient):
            link = manage_url(appointment)
            values = {"when": when(appointment), "place": place(appointment), "link": link}
            _send(
                appointment,
                REMINDER,
                _("Reminder: your appointment on %(day)s") % {"day": _short_day(appointment)},
                _(
                    "A reminder of your appointment on %(when)s at %(place)s.\n"
                    "To change or cancel it: %(link)s\n"
                )
                % values
                + policy_text(appointment),
                _asking_to_confirm(
                    _texts(
                        appointment,
                        link,
                        {
                            "with_place": _(
                                "Reminder: %(when)s at %(place)s.\nChange or cancel: %(link)s"
                            ),
                            "without_place": _(
                                "Reminder: your visit %(when)s\nChange or cancel: %(link)s"
                            ),
                        },
                    )
                ),
                now=now,
                due_at=due,
                # One per booking, lead and move: moving back to an earlier time (whose reminders
                # were cancelled) must schedule them afresh, not find the old key taken.
                key=f"{_about(appointment)}:{REMINDER}:{hours}h:{appointment.times_rescheduled}",
            )


def booked(appointment, now) -> None:
    with speaking(appointment.patient):
        link = manage_url(appointment)
        values = {"when": when(appointment), "place": place(appointment), "link": link}
        _send(
            appointment,
            "confirmation",
            _("Your appointment at %(clinic)s is booked") % {"clinic": appointment.location.name},
            _("You are booked for %(when)s at %(place)s.\nTo change or cancel it: %(link)s\n")
            % values
            + policy_text(appointment),
            _texts(
                appointment,
                link,
                {
                    "with_place": _("Booked: %(when)s at %(place)s.\nChange or cancel: %(link)s"),
                    "without_place": _("Booked: %(when)s\nChange or cancel: %(link)s"),
                },
            ),
            now=now,
            ics=True,
        )
    _schedule_reminders(appointment, now)


def rescheduled(appointment, now) -> None:
    cancel_pending(_about(appointment), topics=(REMINDER,))
    with speaking(appointment.patient):
        link = manage_url(appointment)
        values = {"when": when(appointment), "place": place(appointment), "link": link}
        _send(
            appointment,
            "rescheduled",
            _("Your appointment at %(clinic)s has moved") % {"clinic": appointment.location.name},
            _(
                "Your appointment is now on %(when)s at %(place)s.\n"
                "To change or cancel it: %(link)s\n"
            )
            % values
            + policy_text(appointment),
            _texts(
                appointment,
                link,
                {
                    "with_place": _(
                        "Moved: now %(when)s at %(place)s.\nChange or cancel: %(link)s"
                    ),
                    "without_place": _("Moved: now %(when)s\nChange or cancel: %(link)s"),
                },
            ),
            now=now,
            ics=True,
        )
    _schedule_reminders(appointment, now)


def cancelled(appointment, now) -> None:
    cancel_pending(_about(appointment))
    with speaking(appointment.patient):
        link = f"{settings.SITE_URL}{reverse('scheduling:book')}"
        values = {"when": when(appointment), "place": place(appointment), "link": link}
        _send(
            appointment,
            "cancellation",
            _("Your appointment at %(clinic)s is canceled") % {"clinic": appointment.location.name},
            _(
                "Your appointment on %(when)s at %(place)s is canceled.\n"
                "To book another time: %(link)s\n"
            )
            % values,
            _texts(
                appointment,
                link,
                {
                    "with_place": _("Canceled: %(when)s at %(place)s.\nTo book again: %(link)s"),
                    "without_place": _("Canceled: your visit %(when)s\nTo book again: %(link)s"),
                },
            ),
            now=now,
        )


def slot_offered(entry, start: datetime, now) -> None:
    """A waitlisted patient hears that a time has opened; first to book it has it."""
    local = start.astimezone(entry.location.zone)
    with speaking(entry.patient):
        query = urlencode({"location": entry.location.slug})
        link = f"{settings.SITE_URL}{reverse('scheduling:book')}?{query}"
        values = {"clinic": entry.location.name, "when": day_and_time(local, local.tzinfo)}
        short = {"when": _sms_when(start, entry.location.zone), "link": link}
        queue_to_patient(
            entry.patient,
            topic="waitlist_offer",
            subject=_("A time has opened at %(clinic)s") % values,
            body=_(
                "A time has opened at %(clinic)s on %(when)s. It goes to whoever books it "
                "first: %(link)s\n"
            )
            % {**values, "link": link},
            sms_body=fitting(
                [
                    _("Free time at %(clinic)s: %(when)s\nFirst to book it has it: %(link)s")
                    % {**short, "clinic": entry.location.name},
                    _("A time is free: %(when)s\nFirst to book it has it: %(link)s") % short,
                ]
            ),
            about=f"waitlist:{entry.public_id}",
            now=now,
        )
