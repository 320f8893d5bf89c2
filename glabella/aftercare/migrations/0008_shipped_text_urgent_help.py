"""glabella's shipped aftercare text told patients to call within a day for double or blurred
vision and named too few signs that need help right away. Where a clinic still sends that text
unchanged, its corrected wording is published as the next version (earlier versions are kept)."""

from django.db import migrations
from django.utils import timezone

OLD_BODY = """\
Today
Keep your hands off the treated area: no touching, rubbing or massaging, so that the product stays \
where it was placed. Stay upright for four hours, and leave out hard exercise, saunas and facials \
until tomorrow.

What is normal
A little soreness, redness, swelling or a small bruise where the needle went in, a headache or a \
flu-like feeling. These pass on their own within days. A cool pack, gently held, helps.

When it works
You will notice the effect within a few days; it is fullest after about two weeks. We will check \
in with you after one day and after two weeks.

Call us within a day if
An eyelid or eyebrow droops, your vision is double or blurred, your eyes feel dry, or your face \
looks uneven.

Call emergency services at once if
You have trouble swallowing, speaking or breathing, feel weak all over, lose control of your \
bladder, or have hives or swelling of your lips, tongue or throat. This can happen hours to weeks \
after treatment.
"""


def publish_corrected(apps, schema_editor):
    from glabella.aftercare.instructions import DEFAULT_BODY

    Instructions = apps.get_model("aftercare", "Instructions")
    newest = Instructions.objects.filter(product="", area="").order_by("-version").first()
    if newest is None or newest.body != OLD_BODY or not newest.active:
        return
    Instructions.objects.create(
        product="",
        area="",
        version=newest.version + 1,
        title=newest.title,
        body=DEFAULT_BODY,
        active=True,
        published_at=timezone.now(),
        actor_label="glabella default text",
    )


class Migration(migrations.Migration):
    dependencies = [("aftercare", "0007_alert_escalation")]

    operations = [migrations.RunPython(publish_corrected, migrations.RunPython.noop)]
