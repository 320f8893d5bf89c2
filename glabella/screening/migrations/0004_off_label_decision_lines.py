"""Off-label lines on a candidacy decision: the flag and its rationale (the area may name an area on no label)."""

from django.db import migrations, models

from glabella.core.migration_ops import RefuseChanges, VendorSQL

# SQLite adds these columns by copying the table, which drops its trigger: made again after.
# PostgreSQL adds them in place, keeping its trigger.
_refuse = RefuseChanges("screening_decisionline")
SQLITE_TRIGGER_AGAIN = VendorSQL(
    sqlite=["DROP TRIGGER IF EXISTS screening_decisionline_refuse_update;", *_refuse.by_vendor["sqlite"][0]],
)


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0003_review_settings'),
    ]

    operations = [
        migrations.AddField(
            model_name='decisionline',
            name='off_label',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='decisionline',
            name='rationale',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AlterField(
            model_name='decisionline',
            name='area',
            field=models.CharField(choices=[('glabellar', 'Frown lines between the brows (glabellar)'), ('lateral_canthal', "Crow's feet (lateral canthal)"), ('forehead', 'Forehead lines'), ('platysma', 'Neck bands (platysma)'), ('nasalis', 'Bunny lines (nasalis)'), ('perioral', 'Lip lines (perioral)'), ('dao', 'Corners of the mouth (depressor anguli oris)'), ('mentalis', 'Chin dimpling (mentalis)'), ('masseter', 'Jaw (masseter)'), ('lateral_brow', 'Brow lift (lateral brow)'), ('other', 'Another area')], max_length=20),
        ),
        SQLITE_TRIGGER_AGAIN,
    ]
