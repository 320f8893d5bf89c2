"""A patient's report is a record of what they said: the database refuses to change it."""

from django.db import migrations

from glabella.core.migration_ops import RefuseChanges


class Migration(migrations.Migration):
    dependencies = [("aftercare", "0001_initial")]

    operations = [RefuseChanges("aftercare_report")]
