"""Demo aftercare: the last three weeks of signed treatments followed up as the clinic would have
done it. Aftercare sent, check-ins answered (most with the expected mild effects, a few for a
clinician, one urgent and still open), the rest left to be reminded or missed. Goes through the
aftercare services, so the board, the portal and the safety report show what they would show."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import F

from glabella.aftercare import alerts, check_ins, follow_up_board
from glabella.aftercare import reports as aftercare_reports
from glabella.aftercare.models import Alert, CheckIn
from glabella.core.access import actor_for
from glabella.core.models import StaffMember
from glabella.core.roles import Role
from glabella.messaging.models import Message
from glabella.treatments.models import TreatmentRecord

DAYS = 21
TOPICS = ["aftercare", "check-in", "check-in-reminder", "urgent-advice", "on-call"]
MILD = [
    {"symptoms": ["bruising"], "severity": "mild", "getting_better": True},
    {"symptoms": ["pain", "redness"], "severity": "mild", "getting_better": True},
    {"symptoms": ["headache"], "severity": "mild", "free_text": "Gone after a paracetamol."},
    {"symptoms": [], "free_text": "All fine, thank you!"},
    {"symptoms": []},
]
FOR_A_CLINICIAN = [
    {"symptoms": ["drooping_eyelid"], "severity": "mild", "getting_better": False},
    {"symptoms": ["asymmetry"], "severity": "moderate", "free_text": "Left brow sits higher."},
    {"symptoms": ["dry_eye"], "severity": "moderate"},
]
URGENT = {
    "symptoms": ["trouble_swallowing"],
    "severity": "moderate",
    "free_text": "Since this morning food feels like it sticks.",
}


def load_demo_aftercare(now: datetime, seed: int = 1) -> int:
    """Returns how many reports were written."""
    if CheckIn.objects.exists():
        return 0
    rng = random.Random(f"demo-aftercare-{seed}")
    recent = list(
        TreatmentRecord.objects.filter(
            locked_at__gte=now - timedelta(days=DAYS), locked_at__lte=now, amends__isnull=True
        )
        .select_related("patient", "appointment__location__organisation")
        .order_by("locked_at", "id")
    )
    for record in recent:
        check_ins.after_treatment(record, now=record.locked_at)
    reports = 0
    urgent_left = 1
    due = CheckIn.objects.filter(due_at__lte=now - timedelta(hours=3)).select_related(
        "treatment__patient", "treatment__appointment__location", "patient"
    )
    for check_in in due.order_by("due_at", "id"):
        roll = rng.random()
        at = check_in.due_at + timedelta(minutes=rng.randint(5, 170))
        if roll < 0.66:
            answers = dict(rng.choice(MILD))
        elif roll < 0.76:
            answers = dict(rng.choice(FOR_A_CLINICIAN))
        elif urgent_left and check_in.due_at > now - timedelta(days=2):
            answers, urgent_left = dict(URGENT), 0
        else:
            continue  # not answered: reminded once, then missed
        if check_in.day >= 14:
            answers |= {"effect_shows": rng.random() < 0.95, "satisfied": rng.random() < 0.9}
        aftercare_reports.submit(check_in, answers, now=at)
        reports += 1
    # The scheduler's rounds over those weeks, every six hours.
    if recent:
        tick = recent[0].locked_at + timedelta(days=1)
        while tick < now:
            check_ins.remind_and_mark_missed(tick)
            tick += timedelta(hours=6)
        check_ins.remind_and_mark_missed(now)
    _follow_up_the_older_reviews(now)
    _escalate_as_the_scheduler_would_have(now)
    # Whatever was due before now went out at the time.
    Message.objects.filter(
        topic__in=TOPICS, due_at__lte=now, status__in=["queued", "scheduled"]
    ).update(status="sent", queued_at=F("due_at"), sent_at=F("due_at"))
    return reports


def _escalate_as_the_scheduler_would_have(now: datetime) -> None:
    """The open alerts went on, period by period, as the scheduler's minute job takes them."""
    for _ in range(1000):  # a bound: an alert with nobody left to tell retries each period
        due = (
            Alert.objects.filter(acknowledged_at__isnull=True, escalate_at__lte=now)
            .order_by("escalate_at")
            .values_list("escalate_at", flat=True)
            .first()
        )
        if due is None:
            return
        alerts.escalate_unacknowledged(due)


def _follow_up_the_older_reviews(now: datetime) -> None:
    director = StaffMember.objects.filter(role=Role.MEDICAL_DIRECTOR, active=True).first()
    if director is None:
        return
    actor = actor_for(director.user, ip="127.0.0.1")
    for alert in Alert.objects.filter(
        urgency="review", acknowledged_at__isnull=True, opened_at__lt=now - timedelta(days=2)
    ).select_related("patient"):
        follow_up_board.acknowledge(
            actor,
            alert,
            contact=f"{director.full_name} called the patient the same afternoon.",
            advice="Reassured; it should settle within two to four weeks. Review if not.",
            outcome="Seen at a review visit; improving.",
            now=alert.opened_at + timedelta(hours=4),
        )
