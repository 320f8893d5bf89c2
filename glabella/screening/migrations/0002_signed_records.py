"""Signed records never change: triggers refuse UPDATE (and DELETE on PostgreSQL) under the
models' own refusal; and the shipped consent texts are published as version 1."""

from django.db import migrations

from glabella.core.migration_ops import RefuseChanges

SIGNED_TABLES = [
    "screening_intakeresponse",
    "screening_policychange",
    "screening_candidacydecision",
    "screening_decisionline",
    "screening_consentdocument",
    "screening_signedconsent",
    "screening_consentwithdrawal",
]


def publish_defaults(apps, schema_editor):
    import hashlib

    from django.utils import timezone

    from glabella.screening.consent_texts import DEFAULTS

    ConsentDocument = apps.get_model("screening", "ConsentDocument")
    for kind, (title, body) in DEFAULTS.items():
        if ConsentDocument.objects.filter(kind=kind).exists():
            continue
        text = f"{title}\nVersion 1\n\n{body}"
        ConsentDocument.objects.create(
            kind=kind,
            version=1,
            title=title,
            body=body,
            text_sha256=hashlib.sha256(text.encode()).hexdigest(),
            published_at=timezone.now(),
            actor_label="glabella default text",
        )


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]

    operations = [
        *(RefuseChanges(table) for table in SIGNED_TABLES),
        migrations.RunPython(publish_defaults, migrations.RunPython.noop),
    ]
