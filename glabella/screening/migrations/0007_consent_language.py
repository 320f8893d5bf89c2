"""Consent texts per language (issue 21): a document's language, its versions counted per kind
and language, and the language of the text a patient signed. Existing rows are English."""

from django.db import migrations, models

from glabella.core.migration_ops import RefuseChanges, VendorSQL

# SQLite adds these columns and the constraint by copying each table, which drops its trigger:
# made again after.
_TABLES = ("screening_consentdocument", "screening_signedconsent")
SQLITE_TRIGGERS_AGAIN = VendorSQL(
    sqlite=[
        statement
        for table in _TABLES
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_refuse_update;",
            *RefuseChanges(table).by_vendor["sqlite"][0],
        )
    ],
)
LANGUAGES = [("en", "English"), ("es", "Spanish")]


class Migration(migrations.Migration):

    dependencies = [
        ("screening", "0006_signing_attestation"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="consentdocument",
            options={"ordering": ["kind", "language", "-version"]},
        ),
        migrations.RemoveConstraint(
            model_name="consentdocument",
            name="consent_document_version",
        ),
        migrations.AddField(
            model_name="consentdocument",
            name="language",
            field=models.CharField(choices=LANGUAGES, default="en", max_length=5),
        ),
        migrations.AddField(
            model_name="signedconsent",
            name="language",
            field=models.CharField(choices=LANGUAGES, default="en", max_length=5),
        ),
        migrations.AddConstraint(
            model_name="consentdocument",
            constraint=models.UniqueConstraint(
                fields=("kind", "language", "version"), name="consent_document_version"
            ),
        ),
        SQLITE_TRIGGERS_AGAIN,
    ]
