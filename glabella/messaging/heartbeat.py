"""The worker's heartbeat and what /healthz and /metrics read of the background work.

A worker (`glabella worker`) beats from a thread of its own: one row per worker, written as it
starts and every WORKER_HEARTBEAT_SECONDS, removed when it stops cleanly. The beat says the
process is alive; whether work moves is the outbox lag's question (a worker stuck in one long
task still beats, and its queue's lag grows).

The readings (registered with `core.health` by messaging's AppConfig), each one query:
- `worker_heartbeat_age`: seconds since the newest beat (None when no worker ever beat);
- `workers_alive`: workers whose beat is younger than HEALTH_WORKER_MAX_AGE_SECONDS;
- `scheduler_tick_age`: seconds since the scheduler's last run finished, or since the newest
  worker started if that is later (it schedules the next minute's run as it starts);
- `message_lag`, `task_lag`: how long the oldest due, unfinished message or task has waited;
- `task_queue_length`, `messages_failed`: counts.
"""

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Max, Min, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from glabella.messaging.models import Message, SchedulerTick, WorkerHeartbeat

logger = logging.getLogger("glabella.messaging")

UNDELIVERED = [Message.Status.SCHEDULED, Message.Status.QUEUED, Message.Status.SENDING]


def beat(worker_id: str, started_at: datetime, now: datetime | None = None) -> None:
    """Record that `worker_id` (started at `started_at`) is alive now."""
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id[:64], defaults={"started_at": started_at, "beat_at": now}
    )


def stopped(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id[:64]).delete()


def sweep(now: datetime) -> int:
    """Rows of workers that stopped beating a day ago (killed, never stopped cleanly)."""
    return WorkerHeartbeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()[0]


class Heartbeat(threading.Thread):
    """Beats for one worker until `stop()`; a beat that fails (the database away for a moment)
    is logged and tried again at the next interval."""

    def __init__(self, worker_id: str):
        super().__init__(name=f"heartbeat-{worker_id[:16]}", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.halt = threading.Event()

    def run(self) -> None:
        try:
            while not self.halt.is_set():
                try:
                    beat(self.worker_id, self.started_at)
                except DatabaseError as exc:
                    logger.warning("worker heartbeat not recorded: %s", type(exc).__name__)
                    connection.close()  # a fresh connection next time
                self.halt.wait(settings.WORKER_HEARTBEAT_SECONDS)
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=5)
        try:
            stopped(self.worker_id)
        except DatabaseError:  # the row ages out instead; the worker's own exit matters more
            logger.warning("worker heartbeat not removed at stop")


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max((now - then).total_seconds(), 0.0)


def worker_heartbeat_age(now: datetime) -> float | None:
    return _age(now, WorkerHeartbeat.objects.aggregate(at=Max("beat_at"))["at"])


def workers_alive(now: datetime) -> float:
    since = now - timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS or 120)
    return WorkerHeartbeat.objects.filter(beat_at__gte=since).count()


def scheduler_tick_age(now: datetime) -> float | None:
    ran = SchedulerTick.objects.aggregate(at=Max("ran_at"))["at"]
    started = WorkerHeartbeat.objects.aggregate(at=Max("started_at"))["at"]
    known = [t for t in (ran, started) if t is not None]
    return _age(now, max(known)) if known else None


def message_lag(now: datetime) -> float:
    due = Message.objects.filter(status__in=UNDELIVERED, due_at__lte=now)
    return _age(now, due.aggregate(at=Min("due_at"))["at"]) or 0.0


def _ready_tasks():
    return DBTaskResult.objects.filter(status="READY")


def task_lag(now: datetime) -> float:
    """A task with no run-after waits since it was enqueued; one with a run-after since then."""
    never = get_date_max()
    oldest = _ready_tasks().aggregate(
        enqueued=Min("enqueued_at", filter=Q(run_after=never)),
        after=Min("run_after", filter=Q(run_after__lte=now)),
    )
    known = [t for t in oldest.values() if t is not None]
    return _age(now, min(known)) if known else 0.0


def task_queue_length(now: datetime) -> float:
    return _ready_tasks().filter(Q(run_after=get_date_max()) | Q(run_after__lte=now)).count()


def messages_failed(now: datetime) -> float:
    return Message.objects.filter(status=Message.Status.FAILED).count()


def register_measures() -> None:
    from glabella.core import health

    health.register(
        "worker_heartbeat_age_seconds",
        worker_heartbeat_age,
        "Seconds since the newest worker heartbeat.",
    )
    health.register(
        "workers_alive", workers_alive, "Workers whose heartbeat is within the health limit."
    )
    health.register(
        "scheduler_tick_age_seconds",
        scheduler_tick_age,
        "Seconds since the scheduler last ran (or the newest worker started, if later).",
    )
    lag_help = "Seconds the oldest due, undelivered row of an outbox has waited."
    health.register("outbox_lag_seconds", message_lag, lag_help, outbox="messages")
    health.register("outbox_lag_seconds", task_lag, lag_help, outbox="tasks")
    health.register(
        "task_queue_length", task_queue_length, "Background tasks ready to run and not started."
    )
    health.register("messages_failed", messages_failed, "Messages that failed for good.")
