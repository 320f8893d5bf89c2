"""Every table a migration guards with RefuseChanges still has its trigger after all migrations.

SQLite rebuilds a table (and drops its triggers) when a later migration alters it; this test
fails if a migration ever does that to a signed table without adding the trigger again."""

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from glabella.core.migration_ops import RefuseChanges


def guarded_tables() -> set[str]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return {
        op.table
        for migration in loader.disk_migrations.values()
        for op in migration.operations
        if isinstance(op, RefuseChanges)
    }


def triggers_on(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
        return {row[0] for row in cursor.fetchall()}


def test_every_signed_table_keeps_its_trigger(db):
    tables = guarded_tables()
    expected = {"aftercare_report", "aftercare_instructions", "aftercare_reportphoto"}
    assert expected | {"outcomes_photo", "outcomes_score"} <= tables
    suffix = "_refuse_update" if connection.vendor == "sqlite" else "_refuse_change"
    missing = sorted(t for t in tables if f"{t}{suffix}" not in triggers_on(t))
    assert missing == []
