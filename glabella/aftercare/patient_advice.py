"""What the patient is told after a report, in words that are true: who the clinic has
alerted (from the recorded notices, never more than was sent), and the urgent, same-day or
self-care advice; the page and the API say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from glabella.aftercare import escalation, triage
from glabella.aftercare.models import Alert, Report
from glabella.catalogue import urgent
from glabella.clinic.clock import clinic_zone
from glabella.core import phones
from glabella.messaging.models import Channel


def location_of(report: Report):
    treatment = report.treatment
    return treatment.appointment.location if treatment is not None else None


@dataclass(frozen=True)
class Told:
    """Who the clinic has alerted, from the recorded notices: never more than was sent."""

    levels: tuple[str, ...]
    channels: tuple[str, ...]

    @property
    def anyone(self) -> bool:
        return bool(self.levels)

    def who(self) -> str:
        return _and([LEVEL_WORDS[level] for level in self.levels])

    def how(self) -> str:
        return _and([CHANNEL_WORDS[c] for c in self.channels])


LEVEL_WORDS = {
    escalation.ON_CALL: "our clinician on call",
    escalation.MEDICAL_DIRECTOR: "our medical director",
    escalation.OWNER: "the clinic's owner",
}
CHANNEL_WORDS = {Channel.SMS: "text message", Channel.EMAIL: "email"}


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def told(alert: Alert | None) -> Told:
    if alert is None:
        return Told((), ())
    notices = list(alert.notices.all())
    levels = tuple(lv for lv in escalation.LEVELS if any(n.level == lv for n in notices))
    channels = tuple(
        c for c in (Channel.SMS, Channel.EMAIL) if any(n.channel == c for n in notices)
    )
    return Told(levels, channels)


def urgent_advice(done: Told, phone: str) -> str:
    """The urgent answer in words that are true: call 911 first, then what the clinic did."""
    call_us = f" on {phones.display(phone)}" if phone else ""
    first = (
        "What you describe can be a serious reaction to the toxin spreading, or an allergic "
        f"reaction, and needs {urgent.HELP}. {urgent.CALL_NOW} (or your local emergency "
        f"number) and {urgent.SAY_TOXIN}, with the product and the day. "
        f"{urgent.DO_NOT_DRIVE_YOURSELF} {urgent.DO_NOT_DRIVE}"
    )
    if done.anyone:
        then = (
            f" We have sent an alert to {done.who()} by {done.how()}; they will call you back. "
            f"Do not wait for that call before calling 911. You can also call the clinic{call_us}."
        )
    else:
        then = (
            " Our clinic has not been able to alert a clinician automatically, so nobody at the "
            f"clinic knows yet: after calling 911, please call the clinic{call_us} and tell us."
        )
    return first + then


def review_advice(alert: Alert | None, phone: str, zone) -> str:
    """The same-day answer, true to who was told and when they are due to call."""
    call_us = f" on {phones.display(phone)}" if phone else ""
    worse = " " + urgent.if_you_get()
    done = told(alert)
    if alert is None or not done.anyone:
        return (
            f"This needs a clinician today. Please call the clinic{call_us} today and tell us."
            + worse
        )
    due = alert.due_by.astimezone(zone)
    return (
        f"A clinician needs to look at this today: we have told {done.who()} by {done.how()}, "
        f"and one of our clinicians will contact you by {due:%-I:%M %p} "
        f"on {due:%A, %B %-d} (clinic time). If it gets worse before then, call the clinic"
        f"{call_us}." + worse
    )


SELF_CARE_ADVICE = (
    "What you describe is expected and usually passes within days. Keep your hands off the "
    "treated area on the first day; a cool pack, gently held, helps with swelling. If anything "
    "changes, call the clinic{call_us}. " + urgent.if_you_get()
)


@dataclass(frozen=True)
class Answer:
    """What the patient is told after a report (the page and the API say the same)."""

    urgency: str
    advice: str
    told: Told
    due_by: datetime | None


def answer_for(report: Report) -> Answer:
    location = location_of(report)
    phone = location.phone if location else ""
    alert = Alert.objects.filter(report=report).prefetch_related("notices").first()
    done = told(alert)
    if report.urgency == triage.Urgency.URGENT:
        advice = urgent_advice(done, phone)
    elif report.urgency == triage.Urgency.REVIEW:
        advice = review_advice(alert, phone, clinic_zone(report.patient))
    else:
        advice = SELF_CARE_ADVICE.format(call_us=f" on {phones.display(phone)}" if phone else "")
    return Answer(report.urgency, advice, done, alert.due_by if alert else None)
