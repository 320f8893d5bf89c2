"""A locked treatment record and its points never change: triggers refuse it under the models.
Protocol changes are a ledger and are refused any change. (On SQLite, deletes are left to the
models, as for the other signed records: see core.migration_ops.RefuseChanges.)"""

from django.db import migrations

from glabella.core.migration_ops import RefuseChanges, VendorSQL

MESSAGE = "glabella: a locked treatment record never changes; amend it"

PG = [
    f"""
    CREATE OR REPLACE FUNCTION glabella_refuse_locked_record() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'locked' THEN
            RAISE EXCEPTION '{MESSAGE} (%)', TG_OP USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "CREATE TRIGGER treatments_record_locked BEFORE UPDATE OR DELETE "
    "ON treatments_treatmentrecord FOR EACH ROW EXECUTE FUNCTION glabella_refuse_locked_record();",
    f"""
    CREATE OR REPLACE FUNCTION glabella_refuse_locked_point() RETURNS trigger AS $$
    DECLARE parent bigint;
    BEGIN
        IF TG_OP = 'INSERT' THEN parent := NEW.record_id; ELSE parent := OLD.record_id; END IF;
        IF (SELECT status FROM treatments_treatmentrecord WHERE id = parent) = 'locked' THEN
            RAISE EXCEPTION '{MESSAGE} (%)', TG_OP USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "CREATE TRIGGER treatments_point_locked BEFORE INSERT OR UPDATE OR DELETE "
    "ON treatments_injectionpoint FOR EACH ROW EXECUTE FUNCTION glabella_refuse_locked_point();",
]
SQLITE = [
    "CREATE TRIGGER treatments_record_locked BEFORE UPDATE ON treatments_treatmentrecord "
    f"WHEN OLD.status = 'locked' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER treatments_point_locked_insert BEFORE INSERT ON treatments_injectionpoint "
    "WHEN (SELECT status FROM treatments_treatmentrecord WHERE id = NEW.record_id) = 'locked' "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER treatments_point_locked_update BEFORE UPDATE ON treatments_injectionpoint "
    "WHEN (SELECT status FROM treatments_treatmentrecord WHERE id = OLD.record_id) = 'locked' "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]


class Migration(migrations.Migration):
    dependencies = [("treatments", "0001_initial")]

    operations = [
        VendorSQL(
            postgresql=PG,
            sqlite=SQLITE,
            reverse_postgresql=[
                "DROP TRIGGER IF EXISTS treatments_record_locked ON treatments_treatmentrecord;",
                "DROP TRIGGER IF EXISTS treatments_point_locked ON treatments_injectionpoint;",
            ],
            reverse_sqlite=[
                "DROP TRIGGER IF EXISTS treatments_record_locked;",
                "DROP TRIGGER IF EXISTS treatments_point_locked_insert;",
                "DROP TRIGGER IF EXISTS treatments_point_locked_update;",
            ],
        ),
        RefuseChanges("treatments_protocolchange"),
    ]
