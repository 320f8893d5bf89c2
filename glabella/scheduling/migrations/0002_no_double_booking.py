"""PostgreSQL refuses overlapping live appointments per provider, room and patient.

Half-open ranges '[)', so one appointment may end exactly when the next begins. Cancelled
appointments do not hold their time. SQLite has no exclusion constraints: there the booking
service checks for overlaps under the write lock that BEGIN IMMEDIATE takes.
"""

from django.db import migrations

from glabella.core.migration_ops import RunSQLOnPostgreSQL

LIVE = "status NOT IN ('cancelled_by_patient', 'cancelled_by_clinic')"


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        RunSQLOnPostgreSQL(
            "CREATE EXTENSION IF NOT EXISTS btree_gist;", reverse_sql=migrations.RunSQL.noop
        ),
        RunSQLOnPostgreSQL(
            f"""
            ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_provider_no_overlap
                EXCLUDE USING gist (
                    provider_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&
                ) WHERE ({LIVE});
            ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_room_no_overlap
                EXCLUDE USING gist (
                    room_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&
                ) WHERE ({LIVE} AND room_id IS NOT NULL);
            ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_patient_no_overlap
                EXCLUDE USING gist (
                    patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
                ) WHERE ({LIVE});
            """,
            reverse_sql="""
            ALTER TABLE scheduling_appointment DROP CONSTRAINT appointment_provider_no_overlap;
            ALTER TABLE scheduling_appointment DROP CONSTRAINT appointment_room_no_overlap;
            ALTER TABLE scheduling_appointment DROP CONSTRAINT appointment_patient_no_overlap;
            """,
        ),
    ]
