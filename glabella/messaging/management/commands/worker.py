"""Runs a background worker: django-tasks-db's `db_worker` on every queue, after making sure
the scheduler's next tick is on the queue (a unique row per minute stops a double enqueue)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from glabella.messaging.delivery import ensure_scheduler


class Command(BaseCommand):
    help = "Deliver messages and run scheduled work (django-tasks database worker)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Run what is due, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--worker-id", default=None, help="Unique name for this worker.")

    def handle(self, *args, batch, interval, worker_id, verbosity, **options):
        ensure_scheduler()
        kwargs = dict(
            queue_name="*",
            interval=interval,
            batch=batch,
            reload=False,
            startup_delay=not batch,
            verbosity=verbosity,
        )
        if worker_id:
            kwargs["worker_id"] = worker_id
        call_command("db_worker", **kwargs)
