"""Whether this deployment is working, for load balancers and monitoring: the checks behind
/healthz and the numbers behind /metrics' gauges.

Core knows none of the apps above it, so each app registers what it can measure in its
AppConfig.ready (`register(name, read, ...)`), as it registers its periodic jobs: messaging the
worker's heartbeat, the scheduler's last run and its outbox's lag, the webhooks their lag,
aftercare its alerts waiting. A reading is a number (an age or a lag in seconds, a count) or
None for "never happened". Readings are counts and ages only, never a patient's data.

`report(now)` answers /healthz: the database (a trivial query) and three checks, each the
largest reading of one name against its threshold in settings (0 switches a check off):

- worker: age of the newest worker heartbeat (HEALTH_WORKER_MAX_AGE_SECONDS);
- scheduler: age of the scheduler's last run, or of the newest worker's start when that is
  later, since a worker schedules the next minute's run as it starts
  (HEALTH_SCHEDULER_MAX_AGE_SECONDS);
- outbox: how long the oldest due and undelivered row has waited, over every outbox
  (HEALTH_OUTBOX_MAX_LAG_SECONDS).

An age that is None (no worker ever beat, the scheduler never ran) counts as fine while this
process started less than HEALTH_STARTUP_GRACE_SECONDS ago: on a fresh start the worker comes up
beside the web server.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connections

# When this process started, for the grace period of a check that has never had a reading.
STARTED = time.monotonic()

Read = Callable[[datetime], float | None]


@dataclass(frozen=True)
class Measure:
    """One number the deployment can be asked for: `glabella_<name>` with fixed labels."""

    name: str
    read: Read
    help: str
    labels: dict[str, str] = field(default_factory=dict)


# Every registered measure, in registration order; several may share a name (with other labels).
MEASURES: list[Measure] = []


def register(name: str, read: Read, help: str, **labels: str) -> None:
    """Make `read(now)` one of the deployment's numbers: a gauge in /metrics, and the input of
    the /healthz check that reads `name` (if one does)."""
    MEASURES.append(Measure(name, read, help, labels))


@dataclass(frozen=True)
class Check:
    """A /healthz check: the largest reading of `measure` against the setting `limit`."""

    name: str
    measure: str
    limit: str
    what: str  # the reading in words, for the reason given when past the limit
    grace: bool  # a reading of None (never) is fine during the start-up grace


CHECKS = [
    Check("worker", "worker_heartbeat_age_seconds", "HEALTH_WORKER_MAX_AGE_SECONDS",
          "no worker heartbeat", grace=True),
    Check("scheduler", "scheduler_tick_age_seconds", "HEALTH_SCHEDULER_MAX_AGE_SECONDS",
          "the scheduler has not run", grace=True),
    Check("outbox", "outbox_lag_seconds", "HEALTH_OUTBOX_MAX_LAG_SECONDS",
          "the oldest due message, delivery or task has waited", grace=False),
]  # fmt: skip


def database_ok(alias: str = "default") -> str | None:
    """None when the database answers a trivial query, else what went wrong (its class only:
    a driver's message may carry the address or the user)."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return type(exc).__name__
    return None


def largest(name: str, now: datetime) -> float | None:
    """The largest reading of every measure named `name`; None when all are None or none is
    registered."""
    readings = [m.read(now) for m in MEASURES if m.name == name]
    known = [r for r in readings if r is not None]
    return max(known) if known else None


def in_grace() -> bool:
    return time.monotonic() - STARTED < settings.HEALTH_STARTUP_GRACE_SECONDS


def run_check(check: Check, now: datetime) -> dict:
    limit = getattr(settings, check.limit)
    if not limit:
        return {"status": "ok", "checked": False}
    try:
        reading = largest(check.measure, now)
    except DatabaseError as exc:  # e.g. a table not migrated yet
        return {"status": "degraded", "reason": f"could not be read ({type(exc).__name__})"}
    key = "lag_seconds" if check.name == "outbox" else "age_seconds"
    result: dict = {key: None if reading is None else round(reading), f"max_{key}": limit}
    if reading is None:
        if check.grace and not in_grace():
            return {"status": "degraded", "reason": f"{check.what} yet", **result}
        return {"status": "ok", **result}
    if reading > limit:
        reason = f"{check.what} for {round(reading)} s (more than {limit} s)"
        return {"status": "degraded", "reason": reason, **result}
    return {"status": "ok", **result}


def report(now: datetime) -> tuple[bool, dict]:
    """(healthy, body) for /healthz: the database first; the other checks only when it answers."""
    failure = database_ok()
    if failure is not None:
        body = {"status": "down", "checks": {"database": {"status": "down", "error": failure}}}
        return False, body
    checks = {"database": {"status": "ok"}}
    checks.update({check.name: run_check(check, now) for check in CHECKS})
    healthy = all(c["status"] == "ok" for c in checks.values())
    return healthy, {"status": "ok" if healthy else "degraded", "checks": checks}
