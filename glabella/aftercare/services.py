"""Aftercare: the instructions (chosen in `instructions`) and check-ins when a treatment is
signed, the patient's report and its triage, and the alerts that bring a report to a clinician.

`submit` writes the report, its alert and every message the alert sends (the patient told to call
emergency services, the on-call clinicians alerted by email and text) in one transaction: either
all of it is recorded and will be delivered, or none of it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from glabella.aftercare import hooks, instructions, photos, triage
from glabella.aftercare.models import Alert, CheckIn, Report, ReportPhoto, Sent
from glabella.core import audit, links
from glabella.core.access import Actor, link_actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.messaging.models import Channel
from glabella.messaging.outbox import queue_message, queue_to_patient
from glabella.screening.services import clinic_zone

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


def _due_by(urgency: str, now: datetime, zone) -> datetime:
    """Urgent: now. Review: the end of the next business day at the clinic."""
    if urgency == triage.Urgency.URGENT:
        return now
    day = now.astimezone(zone).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(17), zone)


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
        hooks.after_report(report, now)
        audit.record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type="aftercare-report",
            object_id=report.public_id,
            detail={"urgency": result.urgency.value},
        )
    return report


def _alert(report: Report, result, now: datetime, zone) -> Alert:
    patient = report.patient
    alert = Alert.objects.create(
        report=report,
        patient=patient,
        urgency=result.urgency.value,
        opened_at=now,
        due_by=_due_by(result.urgency, now, zone),
    )
    location = report.treatment.appointment.location if report.treatment else None
    phone = location.phone if location else ""
    board = settings.SITE_URL + reverse("aftercare:board")
    if result.urgency == triage.Urgency.URGENT:
        queue_to_patient(
            patient,
            topic="urgent-advice",
            subject="Call emergency services now",
            body=(
                "Your answers describe signs that need a doctor now. Call 911 (or your local "
                "emergency number) at once, and tell them you had a botulinum toxin injection. "
                f"Then call us on {phone}."
            ),
            about=f"alert:{alert.public_id}",
            now=now,
            dedupe_key=f"urgent-advice:{alert.public_id}",
        )
        subject = "URGENT: a patient's check-in needs a clinician now"
    else:
        subject = "A patient's check-in needs a clinician within a business day"
    # Staff are told that there is an alert and where to see it, not what it says.
    body = f"{subject}. Open the follow-up board: {board}"
    for n, address in enumerate(settings.ON_CALL_EMAILS):
        queue_message(
            patient=None,
            channel=Channel.EMAIL,
            to=address,
            topic="on-call",
            subject=subject,
            body=body,
            about=f"alert:{alert.public_id}",
            now=now,
            dedupe_key=f"on-call:{alert.public_id}:email:{n}",
        )
    if result.urgency == triage.Urgency.URGENT:
        for n, number in enumerate(settings.ON_CALL_PHONES):
            queue_message(
                patient=None,
                channel=Channel.SMS,
                to=number,
                topic="on-call",
                body=body,
                about=f"alert:{alert.public_id}",
                now=now,
                dedupe_key=f"on-call:{alert.public_id}:sms:{n}",
            )
    return alert


# ---------------------------------------------------------------- the follow-up board


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
    """Urgent first, then reviews by when they are due."""
    alerts = list(
        Alert.objects.filter(acknowledged_at__isnull=True)
        .select_related("patient", "report__treatment__vial__lot", "report__treatment__injector")
        .prefetch_related("report__treatment__points")
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
