"""What the patient is told after a report, in words that are true: who the clinic has
alerted (from the recorded notices, never more than was sent), and the urgent, same-day or
self-care advice; the page and the API say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import formats
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from glabella.aftercare import escalation, triage
from glabella.aftercare.models import Alert, Report
from glabella.catalogue import urgent
from glabella.clinic.clock import clinic_zone
from glabella.core import language, phones
from glabella.messaging.models import Channel

# The day a clinician will call by, this week: "Friday, December 4" / "viernes 4 de diciembre".
DAY = {"en": "l, F j", "es": r"l j \d\e F"}


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
        return _and([str(LEVEL_WORDS[level]) for level in self.levels])

    def how(self) -> str:
        return _and([str(CHANNEL_WORDS[c]) for c in self.channels])


LEVEL_WORDS = {
    escalation.ON_CALL: gettext_lazy("our clinician on call"),
    escalation.MEDICAL_DIRECTOR: gettext_lazy("our medical director"),
    escalation.OWNER: gettext_lazy("the clinic's owner"),
}
CHANNEL_WORDS = {Channel.SMS: gettext_lazy("text message"), Channel.EMAIL: gettext_lazy("email")}


def _and(words: list[str]) -> str:
    """ "a, b and c" in the active language."""
    if len(words) <= 1:
        return "".join(words)
    return _("%(some)s and %(last)s") % {"some": ", ".join(words[:-1]), "last": words[-1]}


def told(alert: Alert | None) -> Told:
    if alert is None:
        return Told((), ())
    notices = list(alert.notices.all())
    levels = tuple(lv for lv in escalation.LEVELS if any(n.level == lv for n in notices))
    channels = tuple(
        c for c in (Channel.SMS, Channel.EMAIL) if any(n.channel == c for n in notices)
    )
    return Told(levels, channels)


# The catalogue's words (glabella.catalogue.urgent, one source for every page) in the active
# language.
def _urgent() -> dict[str, str]:
    lang = language.current()
    w = urgent.words(lang)
    return {
        "help": w.HELP,
        "call": w.CALL,
        "call_now": w.CALL_NOW,
        "say_toxin": w.SAY_TOXIN,
        "do_not_drive_yourself": w.DO_NOT_DRIVE_YOURSELF,
        "do_not_drive": w.DO_NOT_DRIVE,
    }


def if_you_get() -> str:
    """The last line of a same-day or self-care answer: when to call 911 instead."""
    return urgent.if_you_get(language.current())


def _call_us(phone: str) -> str:
    return phones.display(phone) if phone else ""


def urgent_advice(done: Told, phone: str) -> str:
    """The urgent answer in words that are true: call 911 first, then what the clinic did."""
    words = _urgent()
    first = (
        _(
            "What you describe can be a serious reaction to the toxin spreading, or an allergic "
            "reaction, and needs %(help)s. %(call_now)s (or your local emergency number) and "
            "%(say_toxin)s, with the product and the day."
        )
        % words
        + " "
        + words["do_not_drive_yourself"]
        + " "
        + words["do_not_drive"]
    )
    values = {"who": done.who(), "how": done.how(), "phone": _call_us(phone)}
    if done.anyone:
        then = (
            _(
                "We have sent an alert to %(who)s by %(how)s; they will call you back. Do not "
                "wait for that call before calling 911. You can also call the clinic on "
                "%(phone)s."
            )
            if phone
            else _(
                "We have sent an alert to %(who)s by %(how)s; they will call you back. Do not "
                "wait for that call before calling 911. You can also call the clinic."
            )
        )
    else:
        then = (
            _(
                "Our clinic has not been able to alert a clinician automatically, so nobody at "
                "the clinic knows yet: after calling 911, please call the clinic on %(phone)s "
                "and tell us."
            )
            if phone
            else _(
                "Our clinic has not been able to alert a clinician automatically, so nobody at "
                "the clinic knows yet: after calling 911, please call the clinic and tell us."
            )
        )
    return first + " " + then % values


def review_advice(alert: Alert | None, phone: str, zone) -> str:
    """The same-day answer, true to who was told and when they are due to call."""
    worse = " " + if_you_get()
    done = told(alert)
    values = {"phone": _call_us(phone)}
    if alert is None or not done.anyone:
        said = (
            _(
                "This needs a clinician today. Please call the clinic on %(phone)s today and "
                "tell us."
            )
            if phone
            else _("This needs a clinician today. Please call the clinic today and tell us.")
        )
        return said % values + worse
    due = alert.due_by.astimezone(zone)
    values |= {
        "who": done.who(),
        "how": done.how(),
        "time": formats.time_format(due, "TIME_FORMAT"),
        "day": date_format(due, DAY[language.current()]),
    }
    said = (
        _(
            "A clinician needs to look at this today: we have told %(who)s by %(how)s, and one "
            "of our clinicians will contact you by %(time)s on %(day)s (clinic time). If it gets "
            "worse before then, call the clinic on %(phone)s."
        )
        if phone
        else _(
            "A clinician needs to look at this today: we have told %(who)s by %(how)s, and one "
            "of our clinicians will contact you by %(time)s on %(day)s (clinic time). If it gets "
            "worse before then, call the clinic."
        )
    )
    return said % values + worse


def self_care_advice(phone: str) -> str:
    said = (
        _(
            "What you describe is expected and usually passes within days. Keep your hands off "
            "the treated area on the first day; a cool pack, gently held, helps with swelling. "
            "If anything changes, call the clinic on %(phone)s."
        )
        if phone
        else _(
            "What you describe is expected and usually passes within days. Keep your hands off "
            "the treated area on the first day; a cool pack, gently held, helps with swelling. "
            "If anything changes, call the clinic."
        )
    )
    return said % {"phone": _call_us(phone)} + " " + if_you_get()


@dataclass(frozen=True)
class Answer:
    """What the patient is told after a report (the page and the API say the same)."""

    urgency: str
    advice: str
    told: Told
    due_by: datetime | None


def answer_for(report: Report) -> Answer:
    """The answer in the active language (the page's; a message's inside `speaking`)."""
    location = location_of(report)
    phone = location.phone if location else ""
    alert = Alert.objects.filter(report=report).prefetch_related("notices").first()
    done = told(alert)
    if report.urgency == triage.Urgency.URGENT:
        advice = urgent_advice(done, phone)
    elif report.urgency == triage.Urgency.REVIEW:
        advice = review_advice(alert, phone, clinic_zone(report.patient))
    else:
        advice = self_care_advice(phone)
    return Answer(report.urgency, advice, done, alert.due_by if alert else None)
