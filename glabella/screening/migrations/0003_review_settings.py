"""Which label precautions need review: the medical director's settings, each a signed row that
never changes (the triggers refuse it, as for the clinic-policy switches)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from glabella.core.migration_ops import RefuseChanges


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0002_signed_records'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReviewSetting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rule_id', models.CharField(max_length=60)),
                ('needs_review', models.BooleanField()),
                ('reason', models.CharField(max_length=300)),
                ('actor_label', models.CharField(max_length=200)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('changed_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['rule_id', '-at'], name='review_rule_at')],
            },
        ),
        RefuseChanges("screening_reviewsetting"),
    ]
