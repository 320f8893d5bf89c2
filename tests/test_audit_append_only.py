"""The access log is append-only in the database itself: UPDATE, DELETE and TRUNCATE are refused
through the app's own connection, on both databases; only core.db.audit_maintenance lets a
restore (or a test's flush) remove rows."""

import pytest
from django.db import DatabaseError, connection, transaction

from glabella.core.access import system_actor
from glabella.core.audit import Kind, record
from glabella.core.db import audit_maintenance
from glabella.core.models import AccessLog


def _two_rows():
    actor = system_actor("test")
    return record(actor, "read", Kind.PATIENT), record(actor, "read", Kind.PATIENT)


def _raw(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rows just written leave deferred foreign-key checks pending, and PostgreSQL
            # refuses TRUNCATE for those before any trigger runs: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql)


def test_raw_delete_of_a_log_row_is_refused(clinic):
    first, _ = _two_rows()
    with pytest.raises(DatabaseError, match="never removed"):
        _raw(f"DELETE FROM core_accesslog WHERE id = {first.pk}")  # noqa: S608 (an int id)
    assert AccessLog.objects.filter(pk=first.pk).exists()


def test_deleting_every_row_is_refused(clinic):
    _two_rows()
    with pytest.raises(DatabaseError, match="never removed"):
        _raw("DELETE FROM core_accesslog")
    with pytest.raises(DatabaseError, match="never removed"), transaction.atomic():
        AccessLog.objects.all().delete()
    assert AccessLog.objects.count() == 2


def test_truncate_is_refused(clinic):
    _two_rows()
    # SQLite has no TRUNCATE: its "truncate optimisation" is a DELETE without WHERE, refused above.
    sql = (
        "TRUNCATE core_accesslog"
        if connection.vendor == "postgresql"
        else "DELETE FROM core_accesslog"
    )
    with pytest.raises(DatabaseError, match="never removed"):
        _raw(sql)
    assert AccessLog.objects.count() == 2


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_truncate_cascading_from_another_table_is_refused(clinic):
    _two_rows()
    with pytest.raises(DatabaseError, match="never removed"):
        _raw("TRUNCATE core_attempt, core_accesslog")
    assert AccessLog.objects.count() == 2


def test_the_maintenance_switch_lets_a_restore_through_and_closes_after(clinic):
    first, second = _two_rows()
    with audit_maintenance(connection):
        _raw(f"DELETE FROM core_accesslog WHERE id = {first.pk}")  # noqa: S608 (an int id)
    assert not AccessLog.objects.filter(pk=first.pk).exists()
    with pytest.raises(DatabaseError, match="never removed"):
        _raw(f"DELETE FROM core_accesslog WHERE id = {second.pk}")  # noqa: S608 (an int id)
    assert AccessLog.objects.filter(pk=second.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_writes_log_rows_and_is_flushed_after(clinic):
    """The flush after this test empties the log (under the maintenance switch, conftest.py);
    the next test sees an empty log."""
    _two_rows()
    with pytest.raises(DatabaseError, match="never removed"), transaction.atomic():
        AccessLog.objects.all().delete()
    assert AccessLog.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_log_was_flushed_after_the_transactional_test(clinic):
    assert AccessLog.objects.count() == 0


def test_a_plain_flush_cannot_empty_the_log(clinic):
    """Django's own `flush` (the one a production `glabella flush` runs) is refused: it would
    empty the log. Only the tests' flush runs under the maintenance switch (conftest.py)."""
    from django.core.management import CommandError
    from django.core.management.commands import flush

    _two_rows()
    command = flush.Command()
    with pytest.raises(CommandError) as refused, transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # see _raw: pending checks would stop it first
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        flush.Command.handle.plain(
            command,
            database="default",
            interactive=False,
            verbosity=0,
            reset_sequences=False,
            allow_cascade=False,
            inhibit_post_migrate=True,
        )
    assert "never removed" in str(refused.value.__cause__)
    assert AccessLog.objects.count() == 2
