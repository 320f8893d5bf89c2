"""Runs a background worker: django-tasks-db's `db_worker` on every queue, after making sure
the scheduler's next tick is on the queue (a unique row per minute stops a double enqueue), with
a heartbeat beside it that /healthz reads (`messaging.heartbeat`)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from glabella.messaging.delivery import ensure_scheduler
from glabella.messaging.heartbeat import Heartbeat


class Command(BaseCommand):
    help = "Deliver messages and run scheduled work (django-tasks database worker)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Run what is due, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--worker-id", default=None, help="Unique name for this worker.")

    def handle(self, *args, batch, interval, worker_id, verbosity, **options):
        ensure_scheduler()
        # The same id names the worker's claims and its heartbeat.
        worker_id = worker_id or get_random_string(32)
        kwargs = dict(
            queue_name="*",
            interval=interval,
            batch=batch,
            reload=False,
            startup_delay=not batch,
            verbosity=verbosity,
            worker_id=worker_id,
        )
        if batch:  # a run to empty the queue is not a worker that stays up
            call_command("db_worker", **kwargs)
            return
        heartbeat = Heartbeat(worker_id)
        heartbeat.start()
        try:
            call_command("db_worker", **kwargs)
        finally:
            heartbeat.stop()
