import django.db.models.deletion
from django.db import migrations, models


def _checks_now(schema_editor):
    """PostgreSQL refuses to alter a table with deferred foreign-key checks pending from the
    update: run them now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def fill(apps, schema_editor):
    """Rows made before organisations were told apart belong to the first (the one clinic);
    a database with such rows but no clinic set up yet gets a blank one for the owner to name."""
    Organisation = apps.get_model("clinic", "Organisation")
    Row = apps.get_model("portal", "ContactMessage")
    rows = Row.objects.filter(organisation__isnull=True)
    if not rows.exists():
        return
    for row in rows.filter(location__isnull=False).select_related("location"):
        row.organisation_id = row.location.organisation_id
        row.save(update_fields=["organisation"])
    rows = Row.objects.filter(organisation__isnull=True)
    if not rows.exists():
        _checks_now(schema_editor)
        return
    first = Organisation.objects.order_by("pk").first() or Organisation.objects.create(name="")
    rows.update(organisation=first)
    _checks_now(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0008_organisation_hosts'),
        ('portal', '0003_site_text_language'),
    ]

    operations = [
        migrations.AddField(
            model_name='contactmessage',
            name='organisation',
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.organisation'),
        ),
            migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='contactmessage',
            name='organisation',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.organisation'),
        ),
    ]
