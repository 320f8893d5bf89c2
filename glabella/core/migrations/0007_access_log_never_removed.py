"""The access log refuses DELETE (both databases) and TRUNCATE (PostgreSQL; SQLite has none)
unless the connection holds `core.db.audit_maintenance`, which restore and the tests' flush use."""

from django.db import migrations, models

from glabella.core.migration_ops import VendorSQL

REFUSE_POSTGRES = """
CREATE FUNCTION core_accesslog_no_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('glabella.audit_maintenance', true), '') = 'on' THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'access log rows are never removed (%)', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [('core', '0006_staff_management')]

    operations = [
        migrations.AlterField(
            model_name="accesslog",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Created"),
                    ("read", "Viewed"),
                    ("update", "Changed"),
                    ("delete", "Removed"),
                    ("search", "Searched"),
                    ("export", "Exported"),
                    ("refused", "Refused"),
                ],
                max_length=10,
            ),
        ),
        VendorSQL(
            postgresql=[
                REFUSE_POSTGRES,
                "CREATE TRIGGER core_accesslog_no_delete BEFORE DELETE ON core_accesslog "
                "FOR EACH ROW EXECUTE FUNCTION core_accesslog_no_removal();",
                "CREATE TRIGGER core_accesslog_no_truncate BEFORE TRUNCATE ON core_accesslog "
                "FOR EACH STATEMENT EXECUTE FUNCTION core_accesslog_no_removal();",
            ],
            reverse_postgresql=[
                "DROP TRIGGER IF EXISTS core_accesslog_no_truncate ON core_accesslog;",
                "DROP TRIGGER IF EXISTS core_accesslog_no_delete ON core_accesslog;",
                "DROP FUNCTION IF EXISTS core_accesslog_no_removal();",
            ],
            # The function is registered on each connection by core.db; a connection without it
            # (the sqlite3 shell) fails the trigger, so it is refused too.
            sqlite=[
                "CREATE TRIGGER core_accesslog_no_delete BEFORE DELETE ON core_accesslog "
                "WHEN NOT glabella_audit_maintenance() BEGIN "
                "SELECT RAISE(ABORT, 'access log rows are never removed'); END;"
            ],
            reverse_sqlite=["DROP TRIGGER IF EXISTS core_accesslog_no_delete;"],
        ),
    ]
