"""Connection pooling (decision 0048): the settings that switch psycopg's pool or PgBouncer on,
and, on PostgreSQL, a real process whose threads share at most the pool's connections and get a
fresh one after the server drops them all."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from glabella import config

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432/clinic"
THREADS, ROUNDS, POOL = 8, 3, 3


@pytest.fixture
def postgres_env(monkeypatch):
    for name in (
        "DATABASE_POOL_MAX_SIZE",
        "DATABASE_POOL_MIN_SIZE",
        "DATABASE_POOL_TIMEOUT",
        "DATABASE_CONN_MAX_AGE",
        "DATABASE_PGBOUNCER",
        "DATABASE_REPLICA_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    return monkeypatch


def read(name="DATABASE_URL", tmp=Path("unused.sqlite3")):
    return config.database_from_url(name, tmp)


def test_without_a_pool_each_thread_keeps_its_connection_for_a_minute(postgres_env):
    db = read()
    assert "pool" not in db.get("OPTIONS", {})
    assert db["CONN_MAX_AGE"] == 60 and db["CONN_HEALTH_CHECKS"] is True
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_a_pool_size_turns_psycopgs_pool_on_and_persistent_connections_off(postgres_env):
    postgres_env.setenv("DATABASE_POOL_MAX_SIZE", "8")
    postgres_env.setenv("DATABASE_POOL_MIN_SIZE", "2")
    db = read()
    pool = dict(db["OPTIONS"]["pool"])
    assert pool.pop("reset") is config._reset_pooled
    assert pool == {"min_size": 2, "max_size": 8, "timeout": 10}
    assert db["CONN_MAX_AGE"] == 0


def test_a_pool_with_persistent_connections_is_refused_by_name(postgres_env):
    postgres_env.setenv("DATABASE_POOL_MAX_SIZE", "8")
    postgres_env.setenv("DATABASE_CONN_MAX_AGE", "60")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_CONN_MAX_AGE must be 0"):
        read()


def test_a_pool_minimum_above_its_maximum_is_refused(postgres_env):
    postgres_env.setenv("DATABASE_POOL_MAX_SIZE", "2")
    postgres_env.setenv("DATABASE_POOL_MIN_SIZE", "3")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOL_MIN_SIZE must be at most 2"):
        read()


def test_pgbouncer_in_transaction_mode_gets_no_server_side_cursors(postgres_env):
    postgres_env.setenv("DATABASE_PGBOUNCER", "true")
    assert read()["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_a_replica_url_makes_a_replica_that_mirrors_the_default_in_tests(postgres_env):
    assert config.replica_from_url("DATABASE_REPLICA_URL", read()) is None
    postgres_env.setenv("DATABASE_REPLICA_URL", "postgres://postgres@10.0.0.2:5432/clinic")
    replica = config.replica_from_url("DATABASE_REPLICA_URL", read())
    assert replica["HOST"] == "10.0.0.2" and replica["TEST"] == {"MIRROR": "default"}


def test_a_replica_needs_postgresql_on_both_sides(postgres_env, tmp_path):
    postgres_env.setenv("DATABASE_REPLICA_URL", f"sqlite:///{tmp_path / 'r.sqlite3'}")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_REPLICA_URL must be a postgres"):
        config.replica_from_url("DATABASE_REPLICA_URL", read())
    postgres_env.setenv("DATABASE_REPLICA_URL", "postgres://postgres@10.0.0.2:5432/clinic")
    postgres_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(ImproperlyConfigured, match="needs DATABASE_URL to be a postgres"):
        config.replica_from_url("DATABASE_REPLICA_URL", read())


def probe(pool: bool) -> dict:
    """tests/support/pool_probe.py in a process of its own, on the test database."""
    db = connection.settings_dict
    app = f"glabella-pool-{uuid.uuid4().hex[:8]}"
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}?application_name={app}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DATABASE_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(DATABASE_URL=url, ALLOWED_HOSTS="testserver", DATABASE_CONN_MAX_AGE="0")
    if pool:
        env.update(DATABASE_POOL_MAX_SIZE=str(POOL), DATABASE_POOL_MIN_SIZE="1")
    result = subprocess.run(  # noqa: S603 (our own interpreter, a constant module)
        [sys.executable, "-m", "tests.support.pool_probe", str(THREADS), str(ROUNDS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_threads_share_at_most_the_pools_connections_and_a_dropped_one_is_replaced(clinic):
    if connection.vendor != "postgresql":
        pytest.skip("psycopg's pool is PostgreSQL's")
    # Without the pool, every thread opens its own connection: the probe can see more than POOL.
    plain = probe(pool=False)
    assert not plain["pooled"] and plain["failures"] == []
    assert plain["peak"] > POOL
    pooled = probe(pool=True)
    assert pooled["pooled"] and pooled["failures"] == []
    assert 1 <= pooled["peak"] <= POOL
    after = pooled["after_termination"]
    assert after["killed"], "the pool held no connection to drop"
    assert "error" not in after, after
    assert after["answered_by"] not in after["killed"]


@pytest.mark.django_db(transaction=True)
def test_a_connection_handed_back_to_the_pool_has_the_audit_switch_closed(postgres_env):
    """The switch that lets a restore delete access-log rows is per session: a pooled session
    left with it open would lend that power to the next thread; the pool's reset closes it."""
    if connection.vendor != "postgresql":
        pytest.skip("psycopg's pool is PostgreSQL's")
    from psycopg_pool import ConnectionPool

    from glabella.core.db import MAINTENANCE_SETTING

    db = connection.settings_dict
    postgres_env.setenv("DATABASE_POOL_MAX_SIZE", "1")
    reset = read()["OPTIONS"]["pool"]["reset"]
    dsn = f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname={db['NAME']}"
    shown = "SELECT current_setting(%s, true)"
    for pool_reset, expected in ((None, "on"), (reset, "")):
        with ConnectionPool(
            dsn, kwargs={"autocommit": True}, min_size=1, max_size=1, reset=pool_reset
        ) as pool:
            with pool.connection() as pg:
                pg.execute("SELECT set_config(%s, 'on', false)", [MAINTENANCE_SETTING])
                first = pg.info.backend_pid
            with pool.connection() as pg:
                assert pg.info.backend_pid == first  # the same session, lent again
                assert pg.execute(shown, [MAINTENANCE_SETTING]).fetchone()[0] == expected
