"""The outbox and its workers: each message is delivered once, retried with backoff, and kept."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from glabella.clinic.clock import clinic_zone
from glabella.messaging import delivery
from glabella.messaging.models import Message, SchedulerTick
from glabella.messaging.outbox import cancel_pending, queue_message
from glabella.messaging.sms import LocmemBackend
from glabella.outcomes.models import ModelFit


def queue(n=1, **kw):
    values = dict(patient=None, channel="email", to="a@example.com", topic="test", body="Hello")
    values.update(kw)
    return [queue_message(**values) for _ in range(n)]


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "glabella.messaging.sms.LocmemBackend"
    LocmemBackend.outbox.clear()


def test_a_message_due_now_is_queued_with_its_task_in_the_same_transaction(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the booking failed")
    assert Message.objects.count() == 0 and DBTaskResult.objects.count() == 0
    (message,) = queue()
    assert message.status == Message.Status.QUEUED
    assert DBTaskResult.objects.filter(task_path__endswith="deliver").count() == 1


def test_delivery_sends_once_however_often_the_task_runs(db):
    (message,) = queue(subject="Your appointment")
    assert delivery.deliver_message(message.pk, worker="w1") == "sent"
    assert delivery.deliver_message(message.pk, worker="w2") == "not claimed"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{message.public_id}@glabella>"
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 1


def test_texts_go_through_the_sms_interface(db):
    (message,) = queue(channel="sms", to="+18055550142", body="See you at 10")
    delivery.deliver_message(message.pk, worker="w")
    assert LocmemBackend.outbox == [("+18055550142", "See you at 10")]


def test_a_failing_send_is_retried_with_growing_delays_then_listed_as_failed(db, settings):
    settings.EMAIL_BACKEND = "tests.support.failing_mail.RefusingBackend"
    settings.MESSAGE_MAX_ATTEMPTS = 3
    settings.MESSAGE_RETRY_SECONDS = 60
    (message,) = queue()
    now = timezone.now()
    delays = []
    for _ in range(3):
        result = delivery.deliver_message(message.pk, worker="w", now=now)
        assert result in ("will retry", "failed")
        message.refresh_from_db()
        if message.status == Message.Status.SCHEDULED:
            delays.append(round((message.due_at - now).total_seconds() / 60))
            now = message.due_at
            delivery.release_due(now)
    assert delays == [1, 2]
    assert message.status == Message.Status.FAILED
    assert "refused" in message.last_error


def test_the_scheduler_releases_due_messages_once_and_ticks_once_a_minute(db):
    later = timezone.now() + timedelta(hours=2)
    (message,) = queue(due_at=later)
    assert message.status == Message.Status.SCHEDULED
    assert delivery.release_due(timezone.now()) == 0
    assert delivery.release_due(later) == 1
    assert delivery.release_due(later) == 0  # a second scheduler run finds nothing to do
    tasks = DBTaskResult.objects.filter(args_kwargs__args=[message.pk])
    assert tasks.count() == 1
    assert delivery.ensure_scheduler() is True
    assert delivery.ensure_scheduler() is False  # the same minute is never enqueued twice
    assert SchedulerTick.objects.count() == 1


def test_a_claim_left_by_a_dead_worker_is_handed_on(db, settings):
    (message,) = queue()
    delivery.claim(message.pk, "dead", timezone.now())  # claimed, then the worker vanished
    assert delivery.tick(timezone.now())["reclaimed"] == 0
    later = timezone.now() + timedelta(seconds=settings.MESSAGE_CLAIM_TIMEOUT_SECONDS + 1)
    ModelFit.objects.get_or_create(day=later.astimezone(clinic_zone()).date())
    done = delivery.tick(later)
    assert {k: done.pop(k) for k in ("released", "reclaimed", "requeued")} == {
        "released": 1,
        "reclaimed": 1,
        "requeued": 0,
    }
    # The other apps' upkeep runs in the same tick (vials written off, check-ins and movement
    # questions followed up, unacknowledged alerts escalated, invitations back, the nightly
    # refit: already done for the day here).
    assert done == {
        "vials_written_off": 0,
        "check_ins_followed_up": 0,
        "alerts_escalated": 0,
        "movement_checks_followed_up": 0,
        "duration_model_refit": 0,
        "invitations_sent": 0,
        "throttle_counts_swept": 0,
        "licence_reminders": 0,
        "packages_expired": 0,
        "memberships_renewed": 0,
        "webhooks_released": 0,
        "fhir_exports_expired": 0,
    }
    assert delivery.deliver_message(message.pk, worker="alive") == "sent"


def test_cancelled_messages_are_not_sent(db):
    (message,) = queue(about="appointment:x", due_at=timezone.now() + timedelta(hours=1))
    assert cancel_pending("appointment:x") == 1
    assert delivery.release_due(timezone.now() + timedelta(hours=2)) == 0
    message.refresh_from_db()
    assert message.status == Message.Status.CANCELLED


def _worker(env, worker_id):
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            sys.executable,
            "-m",
            "glabella",
            "worker",
            "--batch",
            "--worker-id",
            worker_id,
            "--verbosity",
            "0",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _stderr(workers) -> str:
    return "\n".join(w.stderr.read().decode(errors="replace")[-2000:] for w in workers)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        return f"postgres://{db.get('USER') or 'postgres'}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def worker_env(tmp_path, **extra) -> dict:
    """The environment of a worker process on this test's database."""
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "GLABELLA_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "glabella.settings",
        "PYTHONPATH": str(Path(settings.BASE_DIR)),
        **extra,
    }


@contextmanager
def running():
    """The worker processes a test starts (it appends them); any still running are killed."""
    workers = []
    try:
        yield workers
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()


def one_more_worker(env, workers) -> None:
    """A worker run after the scheduler handed a dead worker's claim on: it finishes cleanly."""
    late = _worker(env, "worker-late")
    workers.append(late)
    assert late.wait(timeout=120) == 0, _stderr([late])


@pytest.mark.django_db(transaction=True)
def test_three_workers_deliver_a_thousand_messages_exactly_once_even_when_one_is_killed(tmp_path):
    outbox = tmp_path / "mail"
    slow = queue(subject="[slow] reminder")[0]
    queue(999, subject="reminder")
    env = worker_env(tmp_path, EMAIL_BACKEND="tests.support.slow_mail.RecordingBackend")
    with running() as workers:
        workers += [_worker(env, f"worker-{i}") for i in range(3)]
        marker = outbox / f"started-{slow.public_id}@glabella"
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), _stderr(workers)
        victim = int(marker.read_text())
        assert victim in {w.pid for w in workers}
        os.kill(victim, signal.SIGKILL)  # dies mid-send
        for w in workers:
            w.wait(timeout=300)
        codes = sorted(w.returncode for w in workers)
        assert codes == [-signal.SIGKILL, 0, 0], _stderr(workers)
        slow.refresh_from_db()
        assert slow.status == Message.Status.SENDING  # claimed by the dead worker, never sent
        # The scheduler hands the stale claim on, and one more worker run delivers it.
        later = timezone.now() + timedelta(seconds=settings.MESSAGE_CLAIM_TIMEOUT_SECONDS + 1)
        assert delivery.tick(later)["reclaimed"] == 1
        one_more_worker(env, workers)

    sent = [p.name for p in outbox.glob("sent-*")]
    ids = [name.rsplit("-", 1)[0] for name in sent]
    assert len(ids) == 1000
    assert len(set(ids)) == 1000, "a message was delivered twice"
    assert all(name.endswith("-0") for name in sent)
    assert Message.objects.exclude(status=Message.Status.SENT).count() == 0
    pids = {(outbox / name).read_text() for name in sent}
    assert len(pids) >= 2  # the work was shared


def test_the_scheduler_drops_finished_task_rows_after_a_week(db):
    queue(2)
    week_ago = timezone.now() - timedelta(days=8)
    first, second = DBTaskResult.objects.order_by("enqueued_at")[:2]
    DBTaskResult.objects.filter(pk=first.pk).update(status="SUCCESSFUL", finished_at=week_ago)
    DBTaskResult.objects.filter(pk=second.pk).update(
        status="SUCCESSFUL", finished_at=timezone.now()
    )
    delivery.tick(timezone.now())
    assert not DBTaskResult.objects.filter(pk=first.pk).exists()
    assert DBTaskResult.objects.filter(pk=second.pk).exists()
