"""The read replica (decision 0048): reports and exports read a real PostgreSQL standby of the
test database, on another port of this machine, while every write and every read outside them
goes to the primary.

The standby (tests/support/standby.py) is made once for this module from the running cluster,
after pytest has created the test database in it, and removed after the module. Pausing its
replay (`pg_wal_replay_pause`) leaves a row written on the primary out of it: a report that does
not show that row read the replica; a read that finds it read the primary. On SQLite there is no
replica: those tests are skipped; in CI on PostgreSQL a standby that cannot be made fails them.
"""

import copy
import json
import logging
import os
import subprocess
import time
from contextlib import contextmanager, suppress

import psycopg
import pytest
from django.db import connection, connections, router, transaction
from django.urls import reverse
from django.utils import timezone

from glabella.core import replica as replicas
from glabella.core.access import system_actor
from glabella.core.audit import Kind, record
from glabella.core.models import AccessLog
from glabella.core.replica import REPLICA, reading_from_replica
from glabella.fhir import bulk
from glabella.fhir.models import BulkExport
from glabella.patients.models import Patient
from tests.conftest import issue_token, make_patient
from tests.support.standby import Standby, StandbyUnavailable, free_port

NOTE = "reporting copy of the database"


def marker(label: str) -> AccessLog:
    """An access-log row written on the primary, recognisable by its label on the log's page."""
    return record(system_actor(label), "read", Kind.PATIENT)


def on_replica(row) -> bool:
    return AccessLog.objects.using(REPLICA).filter(pk=row.pk).exists()


# -- without a replica ------------------------------------------------------------------------


def test_without_a_replica_every_read_goes_to_the_primary(client_for):
    assert not replicas.configured()
    with reading_from_replica() as read:
        assert not read.from_replica
        assert router.db_for_read(AccessLog) == "default"
        assert AccessLog.objects.all().db == "default"
    page = client_for("owner").get(reverse("patients:access-log"))
    assert page.status_code == 200 and NOTE not in page.content.decode()


def test_migrations_and_writes_belong_to_the_primary_alone(db):
    rule = replicas.ReplicaRouter()
    assert rule.allow_migrate("default", "core") and not rule.allow_migrate(REPLICA, "core")
    with reading_from_replica():
        assert router.db_for_write(AccessLog) == "default"


# -- the standby ------------------------------------------------------------------------------


def _primary_dsn() -> str:
    db = connection.settings_dict
    parts = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"],
        "dbname": db["NAME"],
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _alias(port: int, **changes) -> dict:
    """The "replica" alias as DATABASE_REPLICA_URL makes it, pointing at `port`."""
    alias = copy.deepcopy(connections["default"].settings_dict)
    alias.update(HOST="127.0.0.1", PORT=port, CONN_MAX_AGE=0, TEST={"MIRROR": "default"})
    alias["OPTIONS"].pop("pool", None)
    alias.update(changes)
    return alias


@contextmanager
def replica_alias(settings_dict: dict):
    connections.settings[REPLICA] = settings_dict
    try:
        yield
    finally:
        with suppress(Exception):
            connections[REPLICA].close()
        with suppress(AttributeError):
            del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture(scope="class")
def standby(django_db_setup, django_db_blocker):
    """A standby of the cluster that holds the test database (taken after it was made), as the
    "replica" alias for the class's tests. Class-scoped: Django's test case checks the aliases
    a test names before any test-scoped fixture runs."""
    if connection.vendor != "postgresql":
        pytest.skip("a read replica is a PostgreSQL standby")
    try:
        running = Standby.start(_primary_dsn())
    except (StandbyUnavailable, OSError, psycopg.Error, subprocess.SubprocessError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires the replica test, and no standby could be made: {exc}")
        pytest.skip(f"no standby of the local cluster could be made here: {exc}")
    try:
        with replica_alias(_alias(running.port)):
            yield running
    finally:
        running.stop()


@pytest.fixture
def standby_alias(standby, clinic):
    """The standby for one test, whose rows are committed on the primary (a transactional test)
    so that the standby can replay them."""
    yield standby
    with psycopg.connect(standby.dsn(), autocommit=True) as again:
        again.execute("SELECT pg_wal_replay_resume()")  # a failed test may have left it paused


@contextmanager
def replay_paused(standby: Standby):
    """Inside, the standby applies nothing more of what the primary writes."""
    standby.caught_up()
    with psycopg.connect(standby.dsn(), autocommit=True) as control:
        control.execute("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while control.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
            assert time.monotonic() < deadline, "the standby did not pause its replay"
            time.sleep(0.02)
        try:
            yield
        finally:
            control.execute("SELECT pg_wal_replay_resume()")


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
class TestAStandby:
    """Reports and exports against a real standby of the test database."""

    def test_reads_inside_a_report_go_to_the_standby_and_writes_to_the_primary(self, standby_alias):
        row = marker("Replayed marker")
        standby_alias.caught_up()
        assert on_replica(row)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone() == (False,)
        with replay_paused(standby_alias), reading_from_replica() as read:
            assert read.from_replica
            assert 0 <= read.lag_seconds <= 30 and read.as_of <= timezone.now()
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
                assert cursor.fetchone() == (True, standby_alias.port)
            assert AccessLog.objects.filter(pk=row.pk).exists()
            written = marker("Written inside a report")
            assert written._state.db == "default"
            assert not AccessLog.objects.filter(pk=written.pk).exists()  # the paused standby
            with transaction.atomic():
                assert AccessLog.objects.filter(pk=written.pk).exists()  # a write reads its own
        assert AccessLog.objects.filter(pk=written.pk).exists()  # outside: the primary

    def test_the_access_log_page_reads_the_replica_and_logs_itself_on_the_primary(
        self, standby_alias, client_for
    ):
        marker("Replayed marker")
        owner = client_for("owner")
        with replay_paused(standby_alias):
            unseen = marker("Unreplayed marker")
            before = set(AccessLog.objects.values_list("pk", flat=True))
            page = owner.get(reverse("patients:access-log"))
            assert page.status_code == 200
            text = page.content.decode()
            assert "Replayed marker" in text
            # The primary has it; the page did not read there.
            assert "Unreplayed marker" not in text
            assert NOTE in text  # and it says how fresh its figures are
            assert AccessLog.objects.filter(pk=unseen.pk).exists()
            logged = AccessLog.objects.exclude(pk__in=before).get(object_type=Kind.ACCESS_LOG.value)
            assert not on_replica(logged)  # the page's own row was written on the primary
        standby_alias.caught_up()
        assert on_replica(unseen) and on_replica(logged)

    def test_every_report_page_draws_from_the_replica_and_says_so(self, standby_alias, client_for):
        owner, director = client_for("owner"), client_for("medical_director")
        pages = [
            (owner, "close:revenue"),
            (owner, "close:reconciliation"),
            (owner, "close:closes"),
            (owner, "patients:access-log"),
            (director, "treatments:reports"),
            (director, "outcomes:practice"),
            (director, "aftercare:safety"),
        ]
        for client, name in pages:
            page = client.get(reverse(name))
            assert page.status_code == 200, name
            assert NOTE in page.content.decode(), name
        # The desk's own pages read the primary and say nothing of the kind.
        assert NOTE not in owner.get(reverse("close:day")).content.decode()

    def test_a_replica_further_behind_than_allowed_is_passed_over(
        self, standby_alias, settings, caplog
    ):
        settings.REPLICA_MAX_LAG_SECONDS = 0
        with replay_paused(standby_alias):
            row = marker("Written while the replica waits")
            time.sleep(0.05)
            with caplog.at_level(logging.WARNING), reading_from_replica() as read:
                assert not read.from_replica
                assert AccessLog.objects.filter(pk=row.pk).exists()
        assert "seconds behind" in caplog.text

    def test_a_bulk_export_reads_the_replica_and_is_dated_by_it(self, standby_alias, users, client):
        token = issue_token(users["medical_director"])
        response = client.get(
            "/fhir/R4/Patient/$export",
            {"_type": "Patient"},
            headers={"Prefer": "respond-async", "Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 202, response.content
        job = BulkExport.objects.get(public_id=response["Content-Location"].rsplit("/", 1)[1])
        with replay_paused(standby_alias):
            paused_at = timezone.now()
            late = make_patient(given_name="Unreplayed", email="unreplayed@example.com")
            assert bulk.run(job.pk) == "complete"
        job.refresh_from_db()
        exported = {
            json.loads(line)["id"]
            for found in job.files.filter(resource_type="Patient")
            for line in bytes(found.data).splitlines()
        }
        assert exported and str(late.public_id) not in exported
        assert Patient.objects.filter(public_id=late.public_id).exists()
        # The manifest's transaction time is what the replica held, not the moment the job ran.
        assert job.transaction_time <= paused_at


@pytest.fixture(scope="class")
def silent_replica(django_db_setup):
    if connection.vendor != "postgresql":
        pytest.skip("a read replica is a PostgreSQL standby")
    with replica_alias(_alias(free_port(), OPTIONS={"connect_timeout": 2})):
        yield


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
@pytest.mark.usefixtures("silent_replica")
class TestAReplicaThatDoesNotAnswer:
    def test_its_reports_read_the_primary_and_say_why_in_the_log(self, caplog):
        with caplog.at_level(logging.WARNING), reading_from_replica() as read:
            assert not read.from_replica
            assert router.db_for_read(AccessLog) == "default"
        assert "did not answer" in caplog.text
