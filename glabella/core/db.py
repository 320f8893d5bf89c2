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
