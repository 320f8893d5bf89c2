"""Alerts that bring a patient's report to a clinician: who is reached now (each notice
recorded), and, when urgent, the patient's own message saying what the clinic has done (in her
language).
`escalate_unacknowledged` (each minute) takes an alert nobody has acknowledged on to the
medical director, then the owner (`escalation` says when).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from glabella.aftercare import escalation, triage
from glabella.aftercare.models import Alert, Notice, Report
from glabella.aftercare.patient_advice import location_of, told, urgent_advice
from glabella.catalogue.urgent import words as urgent_words
from glabella.clinic import services as clinic_services
from glabella.core.db import write_transaction
from glabella.core.language import speaking
from glabella.messaging.models import Channel
from glabella.messaging.outbox import queue_message, queue_to_patient


def raise_alert(report: Report, result, now: datetime, zone) -> Alert:
    """The alert, the clinicians it reaches now (each notice recorded) and, when urgent, the
    patient's own message saying what the clinic has done: all in the caller's transaction."""
    patient = report.patient
    location = location_of(report)
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
        with speaking(patient) as lang:  # her language, whatever page she reported from
            queue_to_patient(
                patient,
                topic="urgent-advice",
                subject=urgent_words(lang).CALL_NOW,
                body=urgent_advice(told(alert), phone),
                about=f"alert:{alert.public_id}",
                now=now,
                dedupe_key=f"urgent-advice:{alert.public_id}",
            )
    return alert


def _reach(alert: Alert, location, levels, now: datetime, *, texts: bool, first: bool) -> str:
    """Tell the first of `levels` that has someone to reach; returns that level ('' if none).
    Every message is written to the outbox and recorded as a notice, in this transaction."""
    with speaking(settings.LANGUAGE_CODE):  # staff pages are in English, whatever page reported
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
                    organisation_id=alert.patient.organisation_id,
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
            reached = _reach(alert, location_of(report), levels, now, texts=True, first=False)
            level = reached or alert.level
            Alert.objects.filter(pk=alert.pk).update(
                level=level,
                escalate_at=escalation.next_escalation(level if levels else "owner", now, period),
            )
            moved += bool(reached)
    return moved


def waiting(urgency: str):
    """How many alerts of `urgency` nobody has acknowledged yet (a count for /metrics)."""

    def count(now: datetime) -> float:
        return Alert.objects.filter(urgency=urgency, acknowledged_at__isnull=True).count()

    return count
