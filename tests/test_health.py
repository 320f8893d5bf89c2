"""/healthz, /metrics and the request id: what a load balancer, a monitor and a log collector
are told, on either database, and that they are told nothing about a patient."""

import io
import json
import logging
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from ipaddress import ip_network

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from glabella.aftercare.models import Alert, CheckIn
from glabella.core import request_id
from glabella.messaging import delivery, heartbeat
from glabella.messaging.models import Message, SchedulerTick, WorkerHeartbeat
from glabella.messaging.outbox import queue_message
from tests.test_aftercare import link
from tests.test_messaging import running, worker_env

HEALTHZ = reverse("health:healthz")
METRICS = reverse("health:metrics")


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def health(client=None, **headers):
    response = (client or Client()).get(HEALTHZ, headers=headers)
    return response.status_code, response.json()


def samples(text: str) -> dict:
    """{(name, ((label, value), ...)): value} of a scrape."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(**extra) -> str:
    response = Client().get(METRICS, **extra)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def fresh_worker(now=None):
    now = now or timezone.now()
    heartbeat.beat("worker-a", started_at=now, now=now)


# --- /healthz ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_beats_and_healthz_answers_200_then_its_row_goes_when_it_stops(
    tmp_path,
):
    """A real `glabella worker` on this test's database: its first beat makes every check ok;
    stopped with SIGTERM, it removes its own row."""
    env = worker_env(tmp_path, WORKER_HEARTBEAT_SECONDS="1", EMAIL_BACKEND="locmem")
    command = [sys.executable, "-m", "glabella", "worker", "--worker-id", "w-health"]
    with running() as workers:
        worker = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [*command, "--verbosity", "0"], env=env, stderr=subprocess.PIPE
        )
        workers.append(worker)
        deadline = time.monotonic() + 60
        while not WorkerHeartbeat.objects.filter(worker_id="w-health").exists():
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no heartbeat within a minute"
            time.sleep(0.2)
        status, body = health()
        assert status == 200, body
        assert body["status"] == "ok"
        assert body["checks"]["worker"]["status"] == "ok"
        assert body["checks"]["worker"]["age_seconds"] <= 2
        # The worker's start stands for the scheduler's first run, due within the minute.
        assert body["checks"]["scheduler"]["age_seconds"] <= 60
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, worker.stderr.read().decode()[-2000:]
    assert not WorkerHeartbeat.objects.filter(worker_id="w-health").exists()


def test_a_stale_heartbeat_is_503_with_its_reason(db, settings):
    now = timezone.now()
    fresh_worker(now - timedelta(minutes=10))
    SchedulerTick.objects.create(slot=now, ran_at=now)
    status, body = health()
    assert status == 503
    assert body["status"] == "degraded"
    worker = body["checks"]["worker"]
    assert worker["status"] == "degraded" and worker["max_age_seconds"] == 120
    assert worker["reason"].startswith("no worker heartbeat for 60")
    assert body["checks"]["scheduler"]["status"] == "ok"
    fresh_worker(now)
    assert health()[0] == 200
    settings.HEALTH_WORKER_MAX_AGE_SECONDS = 0  # the check switched off
    fresh_worker(now - timedelta(hours=1))
    assert health()[1]["checks"]["worker"] == {"status": "ok", "checked": False}


def test_no_worker_at_all_is_fine_only_during_the_start_up_grace(db, settings):
    settings.HEALTH_STARTUP_GRACE_SECONDS = 10**9
    status, body = health()
    assert status == 200 and body["checks"]["worker"]["age_seconds"] is None
    settings.HEALTH_STARTUP_GRACE_SECONDS = 0
    status, body = health()
    assert status == 503
    assert body["checks"]["worker"]["reason"] == "no worker heartbeat yet"
    assert body["checks"]["scheduler"]["reason"] == "the scheduler has not run yet"


def test_the_scheduler_run_is_recorded_and_a_late_one_is_503(db):
    now = timezone.now()
    heartbeat.beat("worker-a", started_at=now - timedelta(hours=1), now=now)
    delivery.tick(now - timedelta(minutes=6))  # the last run, six minutes ago
    assert SchedulerTick.objects.filter(ran_at__isnull=False).count() == 1
    status, body = health()
    assert status == 503
    assert body["checks"]["scheduler"]["reason"].startswith("the scheduler has not run for 36")
    delivery.tick(now)
    assert health()[0] == 200


def test_a_message_waiting_past_the_lag_limit_is_503_until_it_goes(db):
    now = timezone.now()
    fresh_worker(now)
    SchedulerTick.objects.create(slot=now, ran_at=now)
    late = queue_message(
        patient=None, channel="email", to="a@example.com", topic="test", body="Hello"
    )
    Message.objects.filter(pk=late.pk).update(due_at=now - timedelta(minutes=20))
    status, body = health()
    assert status == 503
    outbox = body["checks"]["outbox"]
    assert outbox["status"] == "degraded" and outbox["lag_seconds"] >= 1200
    assert outbox["reason"].startswith("the oldest due message, delivery or task has waited")
    delivery.release_due(timezone.now())
    assert delivery.deliver_message(late.pk, worker="w") == "sent"
    # Its task row is still on the queue (this test ran no worker): the queue's own lag.
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    assert health()[0] == 200


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_a_database_that_does_not_answer_is_503_and_metrics_say_so(tmp_path):
    """The real thing: the connection pointed at a closed port (PostgreSQL) or a file in a
    folder that does not exist (SQLite)."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    else:
        connection.settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")
    try:
        status, body = health()
        scraped = Client().get(METRICS)
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert status == 503
    assert body["status"] == "down"
    assert body["checks"] == {"database": {"status": "down", "error": "OperationalError"}}
    assert scraped.status_code == 200
    assert samples(scraped.content.decode())[("glabella_database_up", ())] == 0
    assert health()[0] in (200, 503)  # the database answers again


def test_a_probe_costs_seven_small_queries(db, django_assert_num_queries):
    """SELECT 1; the newest beat; the last run and the newest start; the oldest due message,
    delivery and task."""
    fresh_worker()
    with django_assert_num_queries(7):
        assert health()[0] == 200


def test_probes_pass_without_https_an_allowed_host_or_a_session(db, settings, client_for):
    settings.SECURE_SSL_REDIRECT = True
    settings.HEALTH_STARTUP_GRACE_SECONDS = 10**9
    assert Client().get(reverse("core:sign-in")).status_code == 301  # the rest is redirected
    probe = Client().get(HEALTHZ, HTTP_HOST="10.0.0.7:8000")  # a container's address
    assert probe.status_code == 200 and probe["Cache-Control"] == "no-store"
    assert Client().post(HEALTHZ).status_code == 405


def test_the_probes_own_lines_are_left_out_of_the_servers_log():
    quiet = request_id.QuietProbes()

    def line(request: str, status: str) -> logging.LogRecord:
        record = logging.makeLogRecord({"msg": '"%s" %s %s', "args": (request, status, "9")})
        record.status_code = int(status)
        return record

    assert not quiet.filter(line("GET /healthz HTTP/1.1", "200"))
    assert not quiet.filter(line("GET /metrics HTTP/1.1", "200"))
    assert quiet.filter(line("GET /healthz HTTP/1.1", "503"))  # trouble is still told
    assert quiet.filter(line("GET /sign-in/ HTTP/1.1", "200"))


# --- /metrics ---------------------------------------------------------------------------------


def test_metrics_name_routes_not_paths_and_the_gauges_move(client, treated, settings, patient):
    settings.ON_CALL_EMAILS = ["oncall@example.com"]
    Client().get(reverse("core:sign-in"))
    before = samples(scrape())
    assert before[("glabella_database_up", ())] == 1
    route = (("method", "GET"), ("route", "core:sign-in"))
    assert before[("glabella_request_duration_seconds_count", route)] >= 1
    assert before[("glabella_responses_total", (*route, ("status", "200")))] >= 1
    for name in (
        "glabella_task_queue_length",
        "glabella_messages_failed",
        "glabella_webhook_deliveries_failed",
        "glabella_workers_alive",
    ):
        assert (name, ()) in before, name
    for outbox in ("messages", "webhooks", "tasks"):
        assert ("glabella_outbox_lag_seconds", (("outbox", outbox),)) in before
    urgent = ("glabella_alerts_waiting", (("urgency", "urgent"),))

    # An urgent report from the patient's check-in link raises an alert; a message fails.
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    client.post(link(day_one), {"free_text": "it is hard to swallow since this morning"})
    assert Alert.objects.filter(acknowledged_at__isnull=True, urgency="urgent").count() == 1
    settings.EMAIL_BACKEND = "tests.support.failing_mail.RefusingBackend"
    settings.MESSAGE_MAX_ATTEMPTS = 1
    failing = queue_message(patient=None, channel="email", to="a@example.com", topic="t", body="x")
    assert delivery.deliver_message(failing.pk, worker="w") == "failed"
    record = Client()
    record.force_login(patient.user)
    record.get(reverse("portal:me"))  # a page of hers, with her name on it

    after = samples(text := scrape())
    assert after[urgent] == before[urgent] + 1
    messages_failed = ("glabella_messages_failed", ())
    assert after[messages_failed] == before[messages_failed] + 1
    assert after[("glabella_task_queue_length", ())] > before[("glabella_task_queue_length", ())]
    hers = (("method", "GET"), ("route", "portal:me"), ("status", "200"))
    assert ("glabella_responses_total", hers) in after
    # Counts and names of routes only: no patient, no address, no id.
    for private in (patient.given_name, patient.family_name, patient.email, str(patient.public_id)):
        assert private not in text
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text)


def test_metrics_are_refused_to_other_addresses_unless_allowed_or_holding_the_token(db, settings):
    outside = {"REMOTE_ADDR": "203.0.113.5"}
    assert Client().get(METRICS, **outside).status_code == 404
    # Saying it is loopback in a header does not help (no trusted proxy is set).
    spoofed = Client().get(METRICS, HTTP_X_FORWARDED_FOR="127.0.0.1", **outside)
    assert spoofed.status_code == 404
    settings.METRICS_ALLOWED_NETWORKS = [ip_network("203.0.113.0/24")]
    assert Client().get(METRICS, **outside).status_code == 200
    settings.METRICS_ALLOWED_NETWORKS = [ip_network("127.0.0.1/32")]
    settings.METRICS_TOKEN = "t" * 40
    bearer = Client().get(METRICS, HTTP_AUTHORIZATION="Bearer " + "t" * 40, **outside)
    assert bearer.status_code == 200 and b"glabella_database_up" in bearer.content
    wrong = Client().get(METRICS, HTTP_AUTHORIZATION="Bearer " + "u" * 40, **outside)
    assert wrong.status_code == 404


# --- the request id in the response and the log -----------------------------------------------


@pytest.fixture
def json_log():
    """Lines the project's JSON formatter writes for this test, through its request-id filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(request_id.RequestIdFilter())
    handler.setFormatter(request_id.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_sane_request_id_is_echoed_and_on_every_line_logged_for_the_request(db, json_log):
    response = Client().get("/no-such-page/", headers={"X-Request-ID": "lb-7f3a.2:9"})
    assert response.status_code == 404 and response["X-Request-ID"] == "lb-7f3a.2:9"
    lines = json_log()
    not_found = [line for line in lines if line["message"] == "Not Found: /no-such-page/"]
    assert not_found and not_found[0]["request_id"] == "lb-7f3a.2:9"
    assert not_found[0]["level"] == "WARNING" and not_found[0]["logger"] == "django.request"
    assert not_found[0]["status_code"] == 404
    logging.getLogger("glabella").warning("after the request")
    assert json_log()[-1]["request_id"] == "-"


@pytest.mark.parametrize("given", ["x" * 65, "has space", "<script>", "", "ünï"])
def test_a_malformed_request_id_is_replaced(db, given):
    response = Client().get(HEALTHZ, headers={"X-Request-ID": given})
    made = response["X-Request-ID"]
    assert made != given and re.fullmatch(r"[0-9a-f]{32}", made)


def test_log_format_json_makes_every_line_one_json_object(tmp_path):
    """The setting itself: a process started with LOG_FORMAT=json logs JSON lines."""
    env = worker_env(tmp_path, LOG_FORMAT="json")
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('glabella').warning('plain words %s', 1)"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "plain words 1" and line["request_id"] == "-"
    assert line["level"] == "WARNING" and line["time"].endswith("+00:00")


def test_several_processes_add_up_their_request_counts_in_multiprocess_mode(tmp_path, db):
    """Two server processes each answer a request with PROMETHEUS_MULTIPROC_DIR set; a third
    process's scrape counts both."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = worker_env(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(folder), ALLOWED_HOSTS="testserver")
    serve_one = (
        "import django; django.setup(); from django.test import Client; "
        "assert Client().get('/sign-in/').status_code == 200"
    )
    scrape_all = (
        "import django; django.setup(); from glabella.core import metrics; "
        "print(metrics.exposition().decode())"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", serve_one], env=env, check=True, timeout=120)  # noqa: S603
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-c", scrape_all],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    route = (("method", "GET"), ("route", "core:sign-in"), ("status", "200"))
    assert samples(done.stdout)[("glabella_responses_total", route)] == 2
    assert len(list(folder.iterdir())) >= 2  # each process kept its own file


def test_a_bad_network_in_the_metrics_setting_stops_start_up_by_name(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from glabella.config import env_networks

    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8, clinic.example.com")
    with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOWED_NETWORKS"):
        env_networks("METRICS_ALLOWED_NETWORKS", [])
    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8,192.0.2.7")
    assert env_networks("METRICS_ALLOWED_NETWORKS", []) == [
        ip_network("10.0.0.0/8"),
        ip_network("192.0.2.7/32"),
    ]
