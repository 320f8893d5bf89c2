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


@contextmanager
def write_transaction():
    if connection.vendor == "sqlite":
        with _sqlite_writers, transaction.atomic(durable=True):
            yield
    else:
        with transaction.atomic(durable=True):
            yield
