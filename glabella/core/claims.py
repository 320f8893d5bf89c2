"""Rows a background worker claims: the outbox's way of sending each thing once, shared by
messaging's messages and the webhooks' deliveries.

A claimable row has `status` (scheduled, queued, sending, then its own done word, or failed),
`due_at`, `attempts`, `claimed_by`, `claimed_at` and `queued_at`. `Claims` holds the moves:

- `claim`: a conditional UPDATE from queued to sending; of any number of workers handed the same
  row, exactly one wins, and only the winner sends.
- `failed_attempt`: back to scheduled after a doubling delay, or `failed` after the last attempt.
- `release_due`: due scheduled rows to queued, each with its task enqueued in the same
  transaction (one conditional UPDATE per row, so two scheduler runs never both enqueue one).
- `reclaim_stale`: a row left `sending` by a worker that died goes back to be sent again once
  its claim is older than the timeout; `requeue_lost` does the same for a queued row whose task
  row went missing.
- `resend`: a failed row queued again at once with a fresh count of attempts (staff's choice).

The limits are read from settings each time, so a test may change them: with the prefix
"MESSAGE", MESSAGE_MAX_ATTEMPTS, MESSAGE_RETRY_SECONDS (the first retry's delay; it doubles each
attempt) and MESSAGE_CLAIM_TIMEOUT_SECONDS.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F

SCHEDULED, QUEUED, SENDING, FAILED = "scheduled", "queued", "sending", "failed"


@dataclass(frozen=True)
class Claims:
    model: type[models.Model]
    enqueue: Callable[[int], None]  # hands a row's id to a worker, in the caller's transaction
    settings_prefix: str

    def _setting(self, name: str) -> int:
        return getattr(settings, f"{self.settings_prefix}_{name}")

    def claim(self, pk: int, worker: str, now: datetime):
        """The row, claimed by `worker` (one attempt more), or None when another worker has it."""
        won = self.model.objects.filter(pk=pk, status=QUEUED).update(
            status=SENDING, claimed_by=worker, claimed_at=now, attempts=F("attempts") + 1
        )
        return self.model.objects.get(pk=pk) if won else None

    def mine(self, row, worker: str):
        """The row while `worker` still holds its claim: every update after a send goes through
        this, so a worker whose claim was handed on changes nothing."""
        return self.model.objects.filter(pk=row.pk, status=SENDING, claimed_by=worker)

    def retry_delay(self, attempts: int) -> timedelta:
        base = self._setting("RETRY_SECONDS")
        return timedelta(seconds=base * 2 ** max(attempts - 1, 0))

    def failed_attempt(self, row, worker: str, now: datetime, error: str, **fields) -> str:
        """Records a failed attempt: "failed" after the last one, else "will retry" (scheduled
        again after the row's doubling delay). `fields` are written with it."""
        error = error[:2000]
        if row.attempts >= self._setting("MAX_ATTEMPTS"):
            self.mine(row, worker).update(status=FAILED, last_error=error, **fields)
            return "failed"
        due_at = now + self.retry_delay(row.attempts)
        self.mine(row, worker).update(status=SCHEDULED, due_at=due_at, last_error=error, **fields)
        return "will retry"

    def release_due(self, now: datetime, limit: int = 500) -> int:
        """Moves due scheduled rows to queued and enqueues each; returns how many it released."""
        released = 0
        due = self.model.objects.filter(status=SCHEDULED, due_at__lte=now)
        for pk in due.order_by("due_at").values_list("pk", flat=True)[:limit]:
            with transaction.atomic():
                won = self.model.objects.filter(pk=pk, status=SCHEDULED).update(
                    status=QUEUED, queued_at=now
                )
                if won:
                    self.enqueue(pk)
                    released += won
        return released

    def _cutoff(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self._setting("CLAIM_TIMEOUT_SECONDS"))

    def reclaim_stale(self, now: datetime) -> int:
        """Rows claimed by a worker that stopped answering go back to be sent again."""
        return self.model.objects.filter(status=SENDING, claimed_at__lt=self._cutoff(now)).update(
            status=SCHEDULED, due_at=now, claimed_by=""
        )

    def requeue_lost(self, now: datetime) -> int:
        """Queued rows whose task row is gone (e.g. pruned) are handed to a worker again; a
        duplicate task is harmless, since only one can claim the row."""
        return self.model.objects.filter(status=QUEUED, queued_at__lt=self._cutoff(now)).update(
            status=SCHEDULED, due_at=now
        )

    def resend(self, pk: int, now: datetime) -> bool:
        """A failed row, sent again at once with a fresh count of attempts."""
        with transaction.atomic():
            won = self.model.objects.filter(pk=pk, status=FAILED).update(
                status=QUEUED, attempts=0, queued_at=now, due_at=now
            )
            if won:
                self.enqueue(pk)
        return bool(won)


def worker_of(context) -> str:
    """The name of the worker running a task (django-tasks' context), for its claim."""
    return (context.task_result.worker_ids or ["?"])[-1]
