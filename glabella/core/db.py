"""Write transactions that queue fairly on SQLite.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps and
retries with growing pauses, so under load some writers are overtaken again and again and wait
seconds. Writers of one process therefore first queue on a lock here (they block, not poll), and
only then begin their IMMEDIATE transaction. Other processes (a worker) still meet the busy
handler, briefly. PostgreSQL needs none of this: it is plain `transaction.atomic(durable=True)`.
"""

import threading
from contextlib import contextmanager

from django.db import connection, transaction

from glabella.config import AUDIT_MAINTENANCE_SETTING

_sqlite_writers = threading.Lock()
_inside = threading.local()


@contextmanager
def write_transaction():
    """A durable transaction; it cannot nest (code that runs inside another service's
    transaction, such as a signal receiver, uses `transaction.atomic()`)."""
    if connection.vendor == "sqlite":
        if getattr(_inside, "writing", False):
            # Waiting on our own lock would hang this thread for good: say so instead.
            raise RuntimeError("write_transaction() cannot nest inside another one.")
        with _sqlite_writers:
            _inside.writing = True
            try:
                with transaction.atomic(durable=True):
                    yield
            finally:
                _inside.writing = False
    else:
        with transaction.atomic(durable=True):
            yield


# The access log refuses DELETE and TRUNCATE (core/migrations/0007). Only this switch, held by
# one connection for the length of a `with`, lets a restore or a test's table flush through.
MAINTENANCE_SETTING = AUDIT_MAINTENANCE_SETTING  # PostgreSQL: a custom setting, per session
MAINTENANCE_FUNCTION = "glabella_audit_maintenance"  # SQLite: a function the triggers ask


def register_maintenance_function(sender=None, connection=None, **kwargs) -> None:
    """On each new SQLite connection: the function the log's triggers call, answering 1 only
    while `audit_maintenance` holds this connection (a connection without it refuses too)."""
    if connection is None or connection.vendor != "sqlite":
        return
    wrapper = connection
    connection.connection.create_function(
        MAINTENANCE_FUNCTION, 0, lambda: int(getattr(wrapper, "_glabella_audit_maintenance", 0))
    )


@contextmanager
def audit_maintenance(conn=None):
    """Lets `conn` (default: the default connection) delete or truncate access-log rows inside
    the block: for `glabella restore` and for a test's flush, nothing else."""
    conn = conn or connection
    conn.ensure_connection()
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [MAINTENANCE_SETTING])
        try:
            yield conn
        finally:
            if not conn.needs_rollback and conn.connection is not None:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, '', false)", [MAINTENANCE_SETTING])
    else:
        conn._glabella_audit_maintenance = 1
        try:
            yield conn
        finally:
            conn._glabella_audit_maintenance = 0
