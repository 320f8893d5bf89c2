"""A clinic's host names; location and service slugs unique within their clinic (0047)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0007_location_directions_es"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="hosts",
            field=models.CharField(
                blank=True,
                help_text="Host names, separated by spaces, e.g. book.example-clinic.com; blank in a "
                "one-clinic deployment.",
                max_length=500,
            ),
        ),
        migrations.AlterField(
            model_name='location',
            name='slug',
            field=models.SlugField(),
        ),
        migrations.AlterField(
            model_name='service',
            name='slug',
            field=models.SlugField(),
        ),
        migrations.AddConstraint(
            model_name='location',
            constraint=models.UniqueConstraint(fields=('organisation', 'slug'), name='location_slug_once'),
        ),
        migrations.AddConstraint(
            model_name='service',
            constraint=models.UniqueConstraint(fields=('organisation', 'slug'), name='service_slug_once'),
        ),
    
    ]
