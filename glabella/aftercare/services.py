"""Aftercare: the instructions (chosen in `instructions`) and check-ins when a treatment is
signed, the patient's report and its triage, and the alerts that bring a report to a clinician.

`submit` writes the report, its alert and every message the alert sends (the on-call clinicians
alerted by text and email, each notice recorded, and the patient told to call 911 and what the
clinic has done) in one transaction: either all of it is recorded and will be delivered, or none
of it. `escalate_unacknowledged` (each minute) takes an alert nobody has acknowledged on to the
medical director, then the owner (`escalation` says when).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from glabella.aftercare import escalation, instructions, photos, signals, triage
from glabella.aftercare.models import Alert, CheckIn, Notice, Report, ReportPhoto, Sent
from glabella.clinic import services as clinic_services
from glabella.clinic.clock import clinic_zone
from glabella.core import audit, links
from glabella.core.access import Actor, link_actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.messaging.models import Channel
from glabella.messaging.outbox import queue_message, queue_to_patient

Action = audit.Action
CHECK_IN_SALT = "glabella.aftercare.check-in"
MAX_TEXT = 2000
# A patient may tell us how they are from the portal for this long after a treatment.
REPORT_WINDOW_DAYS = 180

# ---------------------------------------------------------------- check-ins


def check_in_token(check_in: CheckIn) -> str:
    return links.sign_id(CHECK_IN_SALT, check_in.public_id)


def read_check_in_token(token: str) -> str:
    """The check-in's public id; the link works from when it is sent for CHECK_IN_LINK_DAYS."""
    return links.open_due_link(
        token,
        salt=CHECK_IN_SALT,
        queryset=CheckIn.objects.only("public_id", "due_at"),
        days=settings.CHECK_IN_LINK_DAYS,
    ).public_id


def check_in_url(check_in: CheckIn) -> str:
    return settings.SITE_URL + reverse("aftercare:check-in", args=[check_in_token(check_in)])


def after_treatment(record, now: datetime) -> None:
    """A treatment was signed: send its aftercare and schedule its check-ins (not for an
    amendment, which belongs to a session already followed up)."""
    if record.amends_id is not None:
        return
    patient = record.patient
    texts = instructions.texts_for(record.product, record.points.values_list("area", flat=True))
    sent = Sent.objects.create(treatment=record, sent_at=now)
    sent.texts.set(texts)
    text = instructions.fill(texts, instructions.values_for(record))
    queue_to_patient(
        patient,
        topic="aftercare",
        subject=text.title,
        body=text.body,
        about=f"treatment:{record.public_id}",
        now=now,
        dedupe_key=f"aftercare:{record.public_id}",
    )
    zone = clinic_zone(patient)
    local = now.astimezone(zone).date()
    for day in sorted(settings.CHECK_IN_DAYS):
        due = datetime.combine(local + timedelta(days=day), time(10), zone)
        check_in = CheckIn.objects.create(treatment=record, patient=patient, day=day, due_at=due)
        question = (
            "how your skin feels after yesterday's visit"
            if day == 1
            else f"how you are {day} days after your visit, and whether you are happy with it"
        )
        queue_to_patient(
            patient,
            topic="check-in",
            subject="A quick question from the clinic",
            body=(
                f"Hello {patient.preferred_name or patient.given_name},\n\nPlease tell us "
                f"{question}. It takes a minute:\n{check_in_url(check_in)}"
            ),
            about=f"check-in:{check_in.public_id}",
            due_at=due,
            now=now,
            dedupe_key=f"check-in:{check_in.public_id}",
        )


# ---------------------------------------------------------------- the report


def clean_report(raw: object, *, day: int | None, treated_on: date | None, today: date) -> dict:
    if not isinstance(raw, dict):
        raise ValidationFailed({"report": ["Send the answers as an object."]})
    errors: dict[str, list[str]] = {}
    allowed = {
        "symptoms", "severity", "started_on", "getting_better", "free_text", "effect_shows",
        "satisfied",
    }  # fmt: skip
    for key in sorted(set(raw) - allowed):
        errors[key] = ["This is not a question of the check-in."]
    symptoms = raw.get("symptoms", [])
    if not isinstance(symptoms, list) or not all(isinstance(s, str) for s in symptoms):
        errors["symptoms"] = ["Choose from the list of symptoms."]
        symptoms = []
    unknown = [s for s in symptoms if s not in triage.BY_CODE]
    if unknown:
        errors["symptoms"] = [f"Not on the list: {', '.join(unknown[:3])}."]
    severity = raw.get("severity") or ""
    if severity and (not isinstance(severity, str) or severity not in set(triage.Severity)):
        errors["severity"] = ["Choose mild, moderate or severe."]
    if symptoms and not severity:
        errors.setdefault("severity", ["Say how bad it is: mild, moderate or severe."])
    started = raw.get("started_on")
    started_on = None
    if started not in (None, ""):
        try:
            started_on = date.fromisoformat(str(started))
        except ValueError:
            errors["started_on"] = ["Give the date as YYYY-MM-DD."]
        else:
            if started_on > today:
                errors["started_on"] = ["This date is in the future."]
            elif treated_on and started_on < treated_on:
                errors["started_on"] = ["This is before your treatment; give the day it began."]
    flags = {}
    for key in ("getting_better", "effect_shows", "satisfied"):
        value = raw.get(key)
        if value is not None and not isinstance(value, bool):
            errors[key] = ["Answer yes or no."]
        flags[key] = value
    if (
        day is not None
        and day < 14
        and (flags["effect_shows"] is not None or flags["satisfied"] is not None)
    ):
        errors["effect_shows"] = ["We ask about the result at two weeks."]
    text = raw.get("free_text", "") or ""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        errors["free_text"] = [f"Keep it to {MAX_TEXT} characters."]
        text = ""
    if errors:
        raise ValidationFailed(errors)
    return {
        "symptoms": list(dict.fromkeys(symptoms)),
        "severity": severity,
        "started_on": started_on,
        "free_text": text.strip(),
        **flags,
    }


def submit(
    check_in: CheckIn,
    raw: object,
    *,
    via: str = "link",
    photo: bytes | None = None,
    now: datetime | None = None,
):
    """The patient's answers to a check-in: stored, triaged, and, if a clinician must act, an
    alert with its messages, all in one transaction. A check-in is answered once."""
    actor = link_actor(
        "check-in-link", f"check-in {via} for patient {check_in.patient.public_id}",
        check_in.patient_id,
    )  # fmt: skip
    return _record(actor, check_in.treatment, raw, check_in=check_in, via=via, photo=photo, now=now)


def may_report_on(treatment, now: datetime) -> bool:
    return treatment.locked_at is not None and days_since(treatment, now) <= REPORT_WINDOW_DAYS


def report_between(
    actor: Actor, treatment, raw: object, *, photo: bytes | None = None, now: datetime | None = None
):
    """A signed-in patient tells us how they are, from the portal, on any day within
    REPORT_WINDOW_DAYS of a treatment; a check-in that is due is answered by it."""
    now = now or timezone.now()
    if not actor.is_patient or actor.patient_id != treatment.patient_id:
        raise Forbidden("Only the patient reports on their own treatment.")
    if not may_report_on(treatment, now):
        raise Conflict("This treatment is too long ago to report on here; please call us.")
    due = (
        CheckIn.objects.filter(
            treatment=treatment,
            status__in=[CheckIn.Status.SCHEDULED, CheckIn.Status.MISSED],
            due_at__lte=now,
        )
        .order_by("due_at")
        .first()
    )
    return _record(actor, treatment, raw, check_in=due, via="portal", photo=photo, now=now)


def days_since(treatment, now: datetime) -> int:
    zone = clinic_zone(treatment.patient)
    return (now.astimezone(zone).date() - treatment.locked_at.astimezone(zone).date()).days


def _record(actor: Actor, record, raw: object, *, check_in, via: str, photo, now):
    now = now or timezone.now()
    patient = record.patient
    zone = clinic_zone(patient)
    day = check_in.day if check_in is not None else days_since(record, now)
    errors: dict[str, list[str]] = {}
    try:
        cleaned = clean_report(
            raw,
            day=day,
            treated_on=record.locked_at.astimezone(zone).date() if record.locked_at else None,
            today=now.astimezone(zone).date(),
        )
    except ValidationFailed as exc:
        errors.update(exc.fields)
    picture = None
    if photo is not None:
        try:
            picture = photos.clean(photo)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    result = triage.triage(
        triage.Report(
            symptoms=tuple(cleaned["symptoms"]),
            severity=triage.Severity(cleaned["severity"]) if cleaned["severity"] else None,
            getting_better=cleaned["getting_better"],
            free_text=cleaned["free_text"],
            days_since=day,
        )
    )
    with write_transaction():
        if check_in is not None:
            locked = CheckIn.objects.select_for_update().get(pk=check_in.pk)
            if locked.status == CheckIn.Status.SUBMITTED:
                raise Conflict("This check-in has been answered. Thank you.")
            CheckIn.objects.filter(pk=locked.pk).update(status=CheckIn.Status.SUBMITTED)
        report = Report.objects.create(
            check_in=check_in,
            patient=patient,
            treatment=record,
            symptoms=cleaned["symptoms"],
            severity=cleaned["severity"],
            started_on=cleaned["started_on"],
            getting_better=cleaned["getting_better"],
            free_text=cleaned["free_text"],
            effect_shows=cleaned["effect_shows"],
            satisfied=cleaned["satisfied"],
            urgency=result.urgency.value,
            reasons=[{"urgency": r.urgency.value, "why": r.why} for r in result.reasons],
            submitted_at=now,
            via=via,
        )
        if picture is not None:
            ReportPhoto.objects.create(
                report=report,
                patient=patient,
                data=picture.data,
                content_type=picture.content_type,
                width=picture.width,
                height=picture.height,
            )
        if result.urgency != triage.Urgency.SELF_CARE:
            _alert(report, result, now, zone)
        signals.report_recorded.send(Report, report=report, now=now)
        audit.record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type="aftercare-report",
            object_id=report.public_id,
            detail={"urgency": result.urgency.value},
        )
    return report


def _location_of(report: Report):
    treatment = report.treatment
    return treatment.appointment.location if treatment is not None else None


def _alert(report: Report, result, now: datetime, zone) -> Alert:
    """The alert, the clinicians it reaches now (each notice recorded) and, when urgent, the
    patient's own message saying what the clinic has done: all in the caller's transaction."""
    patient = report.patient
    location = _location_of(report)
    urgent = result.urgency == triage.Urgency.URGENT
    if urgent:
        due_by, texted = now, True
    else:
        day = now.astimezone(zone).date()
        review = escalation.review_due(
            now,
            zone,
            clinic_services.opening_hours_on(location, day),
            least_left=timedelta(minutes=settings.REVIEW_LEAST_MINUTES),
            after_hours=timedelta(minutes=settings.REVIEW_AFTER_HOURS_MINUTES),
        )
        due_by, texted = review.due_by, not review.in_hours
    alert = Alert.objects.create(
        report=report, patient=patient, urgency=result.urgency.value, opened_at=now, due_by=due_by
    )
    # A review goes on when its day's deadline passes; an urgent one after the first period.
    reached = _reach(alert, location, escalation.LEVELS, now, texts=texted, first=True)
    period = timedelta(minutes=settings.ALERT_ESCALATION_MINUTES)
    alert.level = reached or ""
    if urgent or not reached:
        alert.escalate_at = escalation.next_escalation(alert.level, now, period)
    else:
        alert.escalate_at = due_by
    Alert.objects.filter(pk=alert.pk).update(level=alert.level, escalate_at=alert.escalate_at)
    if urgent:
        phone = location.phone if location else ""
        queue_to_patient(
            patient,
            topic="urgent-advice",
            subject="Call 911 now",
            body=urgent_advice(told(alert), phone),
            about=f"alert:{alert.public_id}",
            now=now,
            dedupe_key=f"urgent-advice:{alert.public_id}",
        )
    return alert


def _reach(alert: Alert, location, levels, now: datetime, *, texts: bool, first: bool) -> str:
    """Tell the first of `levels` that has someone to reach; returns that level ('' if none).
    Every message is written to the outbox and recorded as a notice, in this transaction."""
    board = settings.SITE_URL + reverse("aftercare:board")
    urgent = alert.urgency == triage.Urgency.URGENT
    if urgent and first:
        subject = "URGENT: a patient's report after a treatment needs a clinician now"
    elif urgent:
        waited = escalation.waited(alert.opened_at, now)
        subject = (
            f"URGENT, not yet acknowledged after {waited}: a patient's report needs a clinician"
        )
    elif first:
        subject = "A patient's report after a treatment needs a clinician today"
    else:
        subject = "Overdue: a patient's report after a treatment needs a clinician"
    # Staff are told that there is an alert and where to see it, not what the patient wrote.
    body = f"{subject}. Open the follow-up board and acknowledge it there: {board}"
    for level in levels:
        made = []
        for n, person in enumerate(clinic_services.contacts(location, level)):
            ways = [(Channel.EMAIL, person.email)] if person.email else []
            if person.phone and texts:
                ways.append((Channel.SMS, person.phone))
            for channel, to in ways:
                message = queue_message(
                    patient=None,
                    channel=channel,
                    to=to,
                    topic="on-call",
                    subject=subject if channel == Channel.EMAIL else "",
                    body=body,
                    about=f"alert:{alert.public_id}",
                    now=now,
                    dedupe_key=f"alert:{alert.public_id}:{level}:{channel}:{n}",
                )
                if message is not None:
                    made.append(
                        Notice(
                            alert=alert,
                            level=level,
                            staff=person.staff,
                            name=person.name,
                            channel=channel,
                            to=to,
                            message=message,
                            sent_at=now,
                        )
                    )
        if made:
            Notice.objects.bulk_create(made)
            return level
    return ""


def escalate_unacknowledged(now: datetime | None = None) -> int:
    """An alert nobody has acknowledged by its escalation time goes to the next level (the
    medical director, then the owner). Run by the scheduler every minute; each alert is locked
    while it is moved on, so two ticks never tell the same level twice."""
    now = now or timezone.now()
    period = timedelta(minutes=settings.ALERT_ESCALATION_MINUTES)
    moved = 0
    due = Alert.objects.filter(acknowledged_at__isnull=True, escalate_at__lte=now)
    for pk in due.order_by("escalate_at").values_list("pk", flat=True)[:200]:
        with write_transaction():
            alert = (
                Alert.objects.select_for_update()
                .filter(pk=pk, acknowledged_at__isnull=True, escalate_at__lte=now)
                .first()
            )
            if alert is None:
                continue
            report = Report.objects.select_related("treatment__appointment__location").get(
                pk=alert.report_id
            )
            levels = escalation.levels_after(alert.level)
            reached = _reach(alert, _location_of(report), levels, now, texts=True, first=False)
            level = reached or alert.level
            Alert.objects.filter(pk=alert.pk).update(
                level=level,
                escalate_at=escalation.next_escalation(level if levels else "owner", now, period),
            )
            moved += bool(reached)
    return moved


# ---------------------------------------------------------------- what the patient is told


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
    call_us = f" on {phone}" if phone else ""
    first = (
        "What you describe can be a serious reaction to the toxin spreading, or an allergic "
        "reaction, and needs medical help right away. Call 911 now (or your local emergency "
        "number) and say that you had a botulinum toxin injection, with the product and the day. "
        "Do not drive yourself, and do not do anything that could be dangerous while you feel "
        "weak or your vision has changed."
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
    call_us = f" on {phone}" if phone else ""
    worse = (
        " If you get trouble swallowing, speaking or breathing, weakness, a change in your vision "
        "or your voice, or a rash or swelling beyond the injection sites, call 911 at once."
    )
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
    "changes, call the clinic{call_us}. If you get trouble swallowing, speaking or breathing, "
    "weakness, a change in your vision or your voice, or a rash or swelling beyond the injection "
    "sites, call 911 at once."
)


@dataclass(frozen=True)
class Answer:
    """What the patient is told after a report (the page and the API say the same)."""

    urgency: str
    advice: str
    told: Told
    due_by: datetime | None


def answer_for(report: Report) -> Answer:
    location = _location_of(report)
    phone = location.phone if location else ""
    alert = Alert.objects.filter(report=report).prefetch_related("notices").first()
    done = told(alert)
    if report.urgency == triage.Urgency.URGENT:
        advice = urgent_advice(done, phone)
    elif report.urgency == triage.Urgency.REVIEW:
        advice = review_advice(alert, phone, clinic_zone(report.patient))
    else:
        advice = SELF_CARE_ADVICE.format(call_us=f" on {phone}" if phone else "")
    return Answer(report.urgency, advice, done, alert.due_by if alert else None)


# ---------------------------------------------------------------- the follow-up board


@dataclass(frozen=True)
class Waiting:
    """An open alert as the board shows it: how long it has waited and how far it has gone."""

    alert: Alert
    waited: str
    notices: list
    next_level: str  # '' when nobody is left to tell
    overdue: bool


LEVEL_NAMES = {
    escalation.ON_CALL: "the on-call clinicians",
    escalation.MEDICAL_DIRECTOR: "the medical director",
    escalation.OWNER: "the owner",
}


def waiting(alerts, now: datetime) -> list[Waiting]:
    rows = []
    for alert in alerts:
        after = escalation.levels_after(alert.level)
        rows.append(
            Waiting(
                alert=alert,
                waited=escalation.waited(alert.opened_at, now),
                notices=list(alert.notices.all()),
                next_level=LEVEL_NAMES[after[0]] if after and alert.escalate_at else "",
                overdue=alert.due_by < now,
            )
        )
    return rows


def acknowledge(actor: Actor, alert: Alert, *, contact: str, advice: str, outcome: str, now=None):
    if not actor.can(Capability.CHANGE_CLINICAL):
        raise Forbidden("Only a clinician acknowledges an alert.")
    errors = {}
    for name, value in (("contact", contact), ("advice", advice), ("outcome", outcome)):
        if not isinstance(value, str) or len(value) > 2000:
            errors[name] = ["Keep it to 2000 characters."]
    if not (contact or "").strip():
        errors["contact"] = ["Say who spoke to the patient, and how."]
    if errors:
        raise ValidationFailed(errors)
    now = now or timezone.now()
    with write_transaction():
        updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now,
            acknowledged_by=actor.saved_user,
            contact=contact.strip(),
            advice=(advice or "").strip(),
            outcome=(outcome or "").strip(),
            escalate_at=None,  # acknowledged: it goes no further
        )
        if not updated:
            raise Conflict("This alert has already been acknowledged.")
        audit.record_patient(
            actor,
            Action.UPDATE,
            alert.patient,
            object_type="aftercare-alert",
            object_id=alert.public_id,
            detail={"acknowledged": True},
        )
    alert.refresh_from_db()
    return alert


def open_alerts():
    """Urgent first, then reviews by when they are due; each with who was told."""
    alerts = list(
        Alert.objects.filter(acknowledged_at__isnull=True)
        .select_related("patient", "report__treatment__vial__lot", "report__treatment__injector")
        .prefetch_related("report__treatment__points", "notices__message", "notices__staff")
    )
    alerts.sort(key=lambda a: (a.urgency != triage.Urgency.URGENT, a.due_by))
    return alerts


def remind_and_mark_missed(now: datetime | None = None) -> int:
    """A check-in a day past due is reminded once; one past its link's life is missed (and so
    listed for staff). Run by the scheduler every minute."""
    now = now or timezone.now()
    expired = now - timedelta(days=settings.CHECK_IN_LINK_DAYS)
    done = CheckIn.objects.filter(status=CheckIn.Status.SCHEDULED, due_at__lt=expired).update(
        status=CheckIn.Status.MISSED
    )
    # Only a link that still works is worth a reminder.
    for check_in in CheckIn.objects.filter(
        status=CheckIn.Status.SCHEDULED,
        reminded_at__isnull=True,
        due_at__lt=now - timedelta(days=1),
        due_at__gte=expired,
    ).select_related("patient"):
        with write_transaction():
            if CheckIn.objects.filter(pk=check_in.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                queue_to_patient(
                    check_in.patient,
                    topic="check-in-reminder",
                    subject="A reminder from the clinic",
                    body=(
                        "We have not heard from you yet. A minute of your time:\n"
                        f"{check_in_url(check_in)}"
                    ),
                    about=f"check-in:{check_in.public_id}",
                    now=now,
                    dedupe_key=f"check-in-reminder:{check_in.public_id}",
                )
                done += 1
    return done
