"""Stock movements are a ledger: the database refuses to change them."""

from django.db import migrations

from glabella.core.migration_ops import RefuseChanges


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [RefuseChanges("inventory_movement")]
