"""Demo aftercare: the last three weeks of signed treatments followed up as the clinic would have
done it. Aftercare sent, check-ins answered (most with the expected mild effects, a few for a
clinician, one urgent and still open), the rest left to be reminded or missed. Goes through the
aftercare services, so the board, the portal and the safety report show what they would show.
The clinic's general aftercare text is published in Spanish too (the same advice as glabella's
English default), so that a Spanish-speaking patient is sent hers in Spanish."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import F

from glabella.aftercare import alerts, check_ins, follow_up_board, instructions
from glabella.aftercare import reports as aftercare_reports
from glabella.aftercare.models import Alert, CheckIn
from glabella.catalogue import urgent
from glabella.core.access import actor_for, system_actor
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


# glabella's default text (instructions.DEFAULT_BODY) in plain US-Latino Spanish: the same advice,
# the same signs to call 911 for (the catalogue's), the same fields.
SPANISH_TITLE = "Después de su tratamiento"
SPANISH_BODY = """\
Hoy
No se toque la zona tratada: no la toque, no la frote ni le dé masaje, para que el producto se \
quede donde se puso. No se acueste durante cuatro horas, y evite el ejercicio fuerte, los saunas \
y los faciales hasta mañana.

Lo que es normal
Un poco de dolor, enrojecimiento, hinchazón o un moretón pequeño donde entró la aguja, dolor de \
cabeza o sentirse como con gripe. Todo esto se quita solo en unos días. Una compresa fría, puesta \
con cuidado, ayuda.

Cuándo hace efecto
Va a notar el efecto en unos días; se ve completo más o menos a las dos semanas. Le vamos a \
escribir para saber cómo está al día siguiente y a las dos semanas.

Llámenos el mismo día si
Se le cae un párpado o una ceja, un ojo no le cierra, su sonrisa se ve chueca o su cara se ve \
dispareja, siente los ojos secos o irritados, la hinchazón crece o viene con fiebre, o tiene un \
dolor fuerte o un dolor de cabeza fuerte. Llámenos al {clinic_phone}, o avísenos desde el portal \
del paciente.

"""
# What needs help right away is worded once, in the catalogue (in Spanish), as in the English text.
_URGENT = urgent.words("es")
SPANISH_BODY += (
    f"{_URGENT.GET_HELP[0].upper()}{_URGENT.GET_HELP[1:]}: {_URGENT.CALL} si\n"
    f"Tiene {urgent.in_full('es')}. {_URGENT.SAY_TOXIN[0].upper()}{_URGENT.SAY_TOXIN[1:]}. "
    "Esto puede pasar desde horas hasta semanas después del tratamiento. Después, avísenos.\n\n"
    f"{_URGENT.DO_NOT_DRIVE}\n"
)


def publish_spanish_texts() -> int:
    """The general aftercare text in Spanish, once (the medical director publishes it, as the
    clinic would). Returns how many versions were published."""
    if instructions.current("", "", "es") is not None:
        return 0
    director = (
        StaffMember.objects.filter(role=Role.MEDICAL_DIRECTOR, active=True)
        .select_related("user")
        .first()
    )
    actor = actor_for(director.user) if director else system_actor("demo-data")
    instructions.publish(
        actor, product="", area="", language="es", title=SPANISH_TITLE, body=SPANISH_BODY
    )
    return 1


def load_demo_aftercare(now: datetime, seed: int = 1) -> int:
    """Returns how many reports were written."""
    publish_spanish_texts()
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
