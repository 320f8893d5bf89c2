# MedWatch 3500 in full on the adverse event: the date of death, B6 tests, B7 history,
# dechallenge and rechallenge, and the day the product went back to its maker.

from django.db import migrations, models

CHALLENGE = [("yes", "Yes"), ("no", "No"), ("doesnt_apply", "Doesn't apply")]


class Migration(migrations.Migration):
    dependencies = [
        ("aftercare", "0005_report_photo"),
    ]

    operations = [
        migrations.AddField(
            model_name="adverseevent",
            name="died_on",
            field=models.DateField(blank=True, help_text="B2: with the outcome death", null=True),
        ),
        migrations.AddField(
            model_name="adverseevent",
            name="relevant_tests",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="B6: [{test, result, on}], as the clinician gave them",
            ),
        ),
        migrations.AddField(
            model_name="adverseevent",
            name="relevant_history",
            field=models.JSONField(
                blank=True,
                help_text="B7: lines as the clinician kept them; null: read from the record at "
                "export",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="adverseevent",
            name="dechallenge",
            field=models.CharField(
                blank=True,
                choices=CHALLENGE,
                help_text="D9; blank: not answered",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="adverseevent",
            name="rechallenge",
            field=models.CharField(
                blank=True,
                choices=CHALLENGE,
                help_text="D10; blank: not answered",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="adverseevent",
            name="product_returned_on",
            field=models.DateField(
                blank=True, help_text="C: the day the product went back to its maker", null=True
            ),
        ),
    ]
