"""Which database a read goes to: the replica for reports and exports, the primary otherwise.

A report or an export says so with `reading_from_replica()` (a context manager, and a decorator
for a whole view). Inside it, reads go to the "replica" alias when DATABASE_REPLICA_URL is set
and the standby is at most REPLICA_MAX_LAG_SECONDS behind (asked once, on entry); otherwise, and
outside it, they go to the default database. Writes always go to the default database, so the
access-log row a report writes lands on the primary; so does a read inside a transaction on the
default database (it must see what the transaction wrote). Migrations run on the default alone.

What a replica's figures are worth: `ReplicaRead.as_of`, the instant they are complete up to,
which the page shows (the base template) and a Bulk export gives as its transaction time.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone

logger = logging.getLogger(__name__)

REPLICA = "replica"

# Seconds the standby's data is behind the primary: none when it has replayed all it received
# (or is no standby at all), else the time since the last transaction it replayed. NULL (nothing
# replayed since it started, or unknown) is taken as too far behind.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
END
"""


@dataclass(frozen=True)
class ReplicaRead:
    """Where the reads of one report go, and how fresh they are."""

    alias: str
    as_of: datetime  # every change committed before this instant is in what is read
    lag_seconds: float = 0.0

    @property
    def from_replica(self) -> bool:
        return self.alias == REPLICA


_current: ContextVar[ReplicaRead | None] = ContextVar("glabella_replica_read", default=None)


def configured() -> bool:
    return REPLICA in connections.settings


def current() -> ReplicaRead | None:
    """The read the code runs inside, if any (None outside `reading_from_replica`)."""
    return _current.get()


@contextmanager
def reading_from_replica():
    """Reads inside go to the replica when it is configured and fresh enough; yields the
    `ReplicaRead`. Inside another one, the outer choice holds."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    read = _choose()
    token = _current.set(read)
    try:
        yield read
    finally:
        _current.reset(token)


def _choose() -> ReplicaRead:
    now = timezone.now()
    primary = ReplicaRead(DEFAULT_DB_ALIAS, now)
    if not configured():
        return primary
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("The replica did not answer (%s); this report reads the primary.", exc)
        with suppress(DatabaseError):
            connections[REPLICA].close()
        return primary
    if lag is None or float(lag) > settings.REPLICA_MAX_LAG_SECONDS:
        logger.warning(
            "The replica is %s seconds behind (at most %s allowed); this report reads the primary.",
            "an unknown number of" if lag is None else f"{float(lag):.1f}",
            settings.REPLICA_MAX_LAG_SECONDS,
        )
        return primary
    lag = max(float(lag), 0.0)
    return ReplicaRead(REPLICA, now - timedelta(seconds=lag), lag)


class ReplicaRouter:
    """Django's router (settings.DATABASE_ROUTERS) for the rules above."""

    def db_for_read(self, model, **hints):
        read = _current.get()
        if read is None or not read.from_replica:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # a read inside a write sees that write
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows: an object read from the replica may point to one
        # read from the primary.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
