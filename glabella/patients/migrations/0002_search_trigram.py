from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from glabella.core.migration_ops import RunSQLOnPostgreSQL


class Migration(migrations.Migration):
    """On PostgreSQL, a trigram index lets `search_text LIKE '%term%'` use an index."""

    dependencies = [("patients", "0001_initial")]

    operations = [
        TrigramExtension(),  # does nothing on SQLite
        RunSQLOnPostgreSQL(
            "CREATE INDEX patient_search_trgm ON patients_patient "
            "USING gin (search_text gin_trgm_ops);",
            reverse_sql="DROP INDEX IF EXISTS patient_search_trgm;",
        ),
    ]
