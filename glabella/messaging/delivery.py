"""Delivering outbox messages with background tasks (Django's Tasks API, database backend).

`deliver(message_id)` sends one message. It first claims it with a conditional UPDATE
(queued -> sending): of any number of workers handed the same id, exactly one wins, and only the
winner sends. A send that fails goes back to `scheduled` with a doubling delay, and after
MESSAGE_MAX_ATTEMPTS ends `failed`, where staff see it. A worker that dies mid-send leaves the
message `sending`; the scheduler hands it on once its claim is older than
MESSAGE_CLAIM_TIMEOUT_SECONDS. (If a worker dies after the gateway accepted a message but before
recording it, that one message goes out twice: no outbox can know what a dead process did.
Emails carry a stable Message-ID so mail clients fold such a repeat into one.)

`tick()` is the scheduler: once a minute it releases due messages (scheduled -> queued, one
conditional UPDATE per message, so two ticks never both enqueue one), reclaims stale claims, and
schedules the next minute's tick, whose unique slot row stops a second enqueue of it; then it
runs every app's own jobs, registered in `glabella.core.periodic`.
"""

import logging
from datetime import datetime, timedelta

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from glabella.core import brand, periodic
from glabella.core.claims import Claims, worker_of
from glabella.messaging import heartbeat
from glabella.messaging.models import URGENT_TOPICS, Channel, Message, SchedulerTick
from glabella.messaging.sms import send_sms
from glabella.patients.models import Patient

logger = logging.getLogger("glabella.messaging")

QUEUE = "messages"


def enqueue_delivery(message_id: int, run_after: datetime | None = None) -> None:
    """Hand a message to a worker; in the caller's transaction (the task row is a table row)."""
    job = deliver.using(run_after=run_after) if run_after else deliver
    job.enqueue(message_id)


# The claim, the backoff and the scheduler's moves, shared with other outboxes (core.claims).
OUTBOX = Claims(Message, enqueue=lambda pk: enqueue_delivery(pk), settings_prefix="MESSAGE")


def claim(message_id: int, worker: str, now: datetime) -> Message | None:
    return OUTBOX.claim(message_id, worker, now)


STOPPED = "Not sent: the patient stopped texts (STOP) before it was due."


def _still_allowed(message: Message) -> bool:
    """A text written while she allowed texts is not sent once she has stopped them (checked
    as it goes, since a reminder is written days before), unless its topic is urgent."""
    if message.channel != Channel.SMS or message.patient_id is None:
        return True
    if message.topic in URGENT_TOPICS:
        return True
    return Patient.objects.filter(pk=message.patient_id, sms_consent=True).exists()


def send_now(message: Message) -> str:
    """Hand one message to its channel; returns the channel's reference for it."""
    if message.channel == Channel.SMS:
        logger.info("text %s goes in %d part(s)", message.public_id, message.segments)
        return send_sms(message.to, message.body, str(message.public_id))
    # From its clinic's sender, signed with that clinic's name and phone (0047).
    clinic = brand.current(message.organisation_id)
    email = EmailMessage(
        subject=message.subject,
        body=clinic.signed(message.body),
        from_email=clinic.from_email,
        to=[message.to],
        headers={"Message-ID": f"<{message.public_id}@glabella>"},
    )
    for a in message.attachments:
        email.attach(a["filename"], a["content"], a["mimetype"])
    email.send(fail_silently=False)
    return f"<{message.public_id}@glabella>"


def deliver_message(message_id: int, worker: str = "", now: datetime | None = None) -> str:
    """Claim, send and record one message. Returns what happened, for the task's result."""
    now = now or timezone.now()
    message = claim(message_id, worker, now)
    if message is None:
        return "not claimed"
    if not _still_allowed(message):
        OUTBOX.mine(message, worker).update(status=Message.Status.CANCELLED, last_error=STOPPED)
        return "cancelled: texts stopped"
    try:
        reference = send_now(message)
    except Exception as exc:  # a channel may raise anything; it must not lose the message
        logger.warning("Message %s attempt %s failed: %s", message.pk, message.attempts, exc)
        return OUTBOX.failed_attempt(message, worker, now, f"{type(exc).__name__}: {exc}")
    OUTBOX.mine(message, worker).update(
        status=Message.Status.SENT, sent_at=timezone.now(), provider_reference=reference
    )
    return "sent"


@task(queue_name=QUEUE, takes_context=True)
def deliver(context, message_id: int) -> str:
    return deliver_message(message_id, worker=worker_of(context))


def retry_failed(message: Message, now: datetime | None = None) -> bool:
    """A failed message, sent again at once with a fresh count of attempts (staff's choice)."""
    return OUTBOX.resend(message.pk, now or timezone.now())


def release_due(now: datetime, limit: int = 500) -> int:
    """Move due scheduled messages to queued and enqueue each; returns how many it released."""
    return OUTBOX.release_due(now, limit)


def schedule_tick(slot: datetime) -> bool:
    """Enqueue the scheduler for `slot` unless some process already has; True if this did."""
    slot = slot.replace(second=0, microsecond=0)
    try:
        with transaction.atomic():
            SchedulerTick.objects.create(slot=slot)
            scheduler_tick.using(run_after=slot).enqueue(slot.isoformat())
    except IntegrityError:
        return False
    return True


def ensure_scheduler(now: datetime | None = None) -> bool:
    """Called when a worker starts: makes sure next minute's tick is on the queue."""
    now = now or timezone.now()
    return schedule_tick(now + timedelta(minutes=1))


def tick(now: datetime, slot: datetime | None = None) -> dict[str, int]:
    """One run of the scheduler's periodic work; once every job is done, the run is recorded
    on its minute's row (`slot`, else the minute of `now`) for /healthz."""
    schedule_tick(now + timedelta(minutes=1))
    SchedulerTick.objects.filter(slot__lt=now - timedelta(days=1)).delete()
    heartbeat.sweep(now)
    # Finished task rows are only a record of the queue's work; the Message rows keep what
    # matters. Kept a week for looking into problems, then dropped, a batch at a time.
    old = DBTaskResult.objects.finished().filter(finished_at__lt=now - timedelta(days=7))
    DBTaskResult.objects.filter(pk__in=list(old.values_list("pk", flat=True)[:5000])).delete()
    stale = OUTBOX.reclaim_stale(now)
    lost = OUTBOX.requeue_lost(now)
    done = {"released": release_due(now), "reclaimed": stale, "requeued": lost}
    # Every app's own upkeep, registered in its AppConfig.ready (messaging knows none of them).
    done.update(periodic.run_all(now))
    minute = (slot or now).replace(second=0, microsecond=0)
    SchedulerTick.objects.update_or_create(slot=minute, defaults={"ran_at": now})
    return done


@task(queue_name=QUEUE)
def scheduler_tick(slot: str) -> dict[str, int]:
    return tick(timezone.now(), datetime.fromisoformat(slot))
