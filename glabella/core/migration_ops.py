"""Migration operations that run on PostgreSQL only, so that SQLite still migrates cleanly."""

from django.db import migrations


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases (SQLite lacks GIN, exclusion constraints...)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{super().describe()} (PostgreSQL only)"


class VendorSQL(migrations.RunSQL):
    """SQL written per database vendor (triggers differ between PostgreSQL and SQLite)."""

    def __init__(self, *, postgresql=(), sqlite=(), reverse_postgresql=(), reverse_sqlite=()):
        self.by_vendor = {
            "postgresql": (list(postgresql), list(reverse_postgresql)),
            "sqlite": (list(sqlite), list(reverse_sqlite)),
        }
        super().__init__(sql="", reverse_sql="")

    def deconstruct(self):
        kwargs = {}
        for vendor, (forwards, backwards) in self.by_vendor.items():
            kwargs[vendor] = forwards
            kwargs[f"reverse_{vendor}"] = backwards
        return (self.__class__.__name__, [], kwargs)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for sql in self.by_vendor.get(schema_editor.connection.vendor, ([], []))[0]:
            schema_editor.execute(sql, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for sql in self.by_vendor.get(schema_editor.connection.vendor, ([], []))[1]:
            schema_editor.execute(sql, params=None)

    def describe(self):
        return "Vendor-specific SQL"


class RefuseChanges(VendorSQL):
    """Database triggers that refuse any UPDATE (and, on PostgreSQL, DELETE) of a table's rows:
    for signed records, which are amended by new rows, never edited.

    On SQLite only UPDATE is refused: Django empties tables between transactional tests with
    DELETE, which a trigger would stop; there the models and their querysets refuse deletes.
    PostgreSQL empties tables with TRUNCATE, which row triggers do not see.
    """

    PG_FUNCTION = """
        CREATE OR REPLACE FUNCTION glabella_refuse_change() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'glabella: rows of % are signed records and never change (%)',
                TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
        END;
        $$ LANGUAGE plpgsql;
    """

    def __init__(self, table: str):
        self.table = table
        t = table
        super().__init__(
            postgresql=[
                self.PG_FUNCTION,
                f"CREATE TRIGGER {t}_refuse_change BEFORE UPDATE OR DELETE ON {t} "
                "FOR EACH ROW EXECUTE FUNCTION glabella_refuse_change();",
            ],
            reverse_postgresql=[f"DROP TRIGGER IF EXISTS {t}_refuse_change ON {t};"],
            sqlite=[
                f"CREATE TRIGGER {t}_refuse_update BEFORE UPDATE ON {t} BEGIN "
                f"SELECT RAISE(ABORT, 'glabella: rows of {t} are signed records and never "
                "change'); END;"
            ],
            reverse_sqlite=[f"DROP TRIGGER IF EXISTS {t}_refuse_update;"],
        )

    def deconstruct(self):
        return (self.__class__.__name__, [self.table], {})

    def describe(self):
        return f"Refuse updates of {self.table}"
