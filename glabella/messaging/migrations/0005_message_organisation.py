import django.db.models.deletion
from django.db import migrations, models


# Numbered 0005: 0004 is kept for the health lane's migration (issue 23); when that lands, this
# one follows it.


def _checks_now(schema_editor):
    """PostgreSQL refuses to alter a table with deferred foreign-key checks pending from the
    update: run them now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def fill(apps, schema_editor):
    """A message or text of a patient is her clinic's; any other belongs to the first clinic
    (the one clinic of the deployments that had messages before clinics were told apart)."""
    Organisation = apps.get_model("clinic", "Organisation")
    for name in ("Message", "InboundText"):
        Row = apps.get_model("messaging", name)
        rows = Row.objects.filter(organisation__isnull=True)
        for organisation_id in (
            rows.filter(patient__isnull=False)
            .values_list("patient__organisation_id", flat=True)
            .distinct()
        ):
            rows.filter(patient__organisation_id=organisation_id).update(
                organisation_id=organisation_id
            )
        if rows.exists():
            first = Organisation.objects.order_by("pk").first()
            first = first or Organisation.objects.create(name="")
            rows.update(organisation=first)
    _checks_now(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0008_organisation_hosts'),
        ('messaging', '0004_worker_heartbeat'),
        ('patients', '0006_patient_organisation'),
    ]

    operations = [
        migrations.AddField(
            model_name='inboundtext',
            name='organisation',
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.organisation'),
        ),
        migrations.AddField(
            model_name='message',
            name='organisation',
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.organisation'),
        ),
            migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='inboundtext',
            name='organisation',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.organisation'),
        ),
        migrations.AlterField(
            model_name='message',
            name='organisation',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.organisation'),
        ),
    ]
