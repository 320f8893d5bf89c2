from django.db import migrations

NO_UPDATE_SQLITE = """
CREATE TRIGGER core_accesslog_no_update BEFORE UPDATE ON core_accesslog
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed'); END;
"""
NO_UPDATE_POSTGRES = """
CREATE FUNCTION core_accesslog_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'access log rows are never changed'; END $$;
CREATE TRIGGER core_accesslog_no_update BEFORE UPDATE ON core_accesslog
FOR EACH ROW EXECUTE FUNCTION core_accesslog_no_update();
"""


def forwards(apps, schema_editor):
    sql = NO_UPDATE_POSTGRES if schema_editor.connection.vendor == "postgresql" else NO_UPDATE_SQLITE
    schema_editor.execute(sql)


def backwards(apps, schema_editor):
    schema_editor.execute("DROP TRIGGER IF EXISTS core_accesslog_no_update ON core_accesslog;"
                          if schema_editor.connection.vendor == "postgresql"
                          else "DROP TRIGGER IF EXISTS core_accesslog_no_update;")


class Migration(migrations.Migration):
    """The database itself refuses to change an access-log row, whoever asks."""

    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
