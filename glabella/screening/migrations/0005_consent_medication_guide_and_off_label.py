"""What a signed consent records besides its text: the Medication Guide given, with its version,
and the off-label areas its off-label paragraph named."""

from django.db import migrations, models

from glabella.core.migration_ops import RefuseChanges, VendorSQL

# SQLite adds these columns by copying the table, which drops its trigger: made again after.
_refuse = RefuseChanges("screening_signedconsent")
SQLITE_TRIGGER_AGAIN = VendorSQL(
    sqlite=[
        "DROP TRIGGER IF EXISTS screening_signedconsent_refuse_update;",
        *_refuse.by_vendor["sqlite"][0],
    ],
)


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0004_off_label_decision_lines'),
    ]

    operations = [
        migrations.AddField(
            model_name='signedconsent',
            name='medication_guide',
            field=models.CharField(blank=True, choices=[('botox_cosmetic', 'BOTOX Cosmetic (onabotulinumtoxinA)'), ('dysport', 'Dysport (abobotulinumtoxinA)'), ('xeomin', 'Xeomin (incobotulinumtoxinA)'), ('jeuveau', 'Jeuveau (prabotulinumtoxinA-xvfs)'), ('daxxify', 'DAXXIFY (daxibotulinumtoxinA-lanm)'), ('letybo', 'Letybo (letibotulinumtoxinA-wlbg)')], max_length=20),
        ),
        migrations.AddField(
            model_name='signedconsent',
            name='medication_guide_version',
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AddField(
            model_name='signedconsent',
            name='off_label_areas',
            field=models.JSONField(blank=True, default=list),
        ),
        SQLITE_TRIGGER_AGAIN,
    ]
