"""Check-ins: when a treatment is signed, its aftercare instructions (chosen in
`instructions`) are sent and its check-ins scheduled, each with a signed link; a check-in a day
overdue is reminded once, and one past its link's life is missed. Every message is written in
the patient's language, its link to the page in that language.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from glabella.aftercare import instructions
from glabella.aftercare.models import CheckIn, Sent
from glabella.clinic.clock import clinic_zone
from glabella.core import links
from glabella.core.db import write_transaction
from glabella.core.language import speaking
from glabella.messaging.outbox import queue_to_patient

CHECK_IN_SALT = "glabella.aftercare.check-in"


def check_in_token(check_in: CheckIn) -> str:
    return links.sign_id(CHECK_IN_SALT, check_in.public_id)


def read_check_in_token(token: str) -> str:
    """The check-in's public id; the link works from when it is sent for CHECK_IN_LINK_DAYS."""
    return links.open_due_link(
        token,
        salt=CHECK_IN_SALT,
        queryset=CheckIn.objects.only("public_id", "due_at"),
        days=settings.CHECK_IN_LINK_DAYS,
    ).public_id


def check_in_url(check_in: CheckIn) -> str:
    """The check-in's link, to the page in the active language (inside `speaking(patient)`:
    hers)."""
    return settings.SITE_URL + reverse("aftercare:check-in", args=[check_in_token(check_in)])


def after_treatment(record, now: datetime) -> None:
    """A treatment was signed: send its aftercare and schedule its check-ins (not for an
    amendment, which belongs to a session already followed up)."""
    if record.amends_id is not None:
        return
    patient = record.patient
    with speaking(patient) as language:
        areas = record.points.values_list("area", flat=True)
        texts = instructions.texts_for(record.product, areas, language)
        sent = Sent.objects.create(treatment=record, sent_at=now)
        sent.texts.set(texts)
        text = instructions.fill(texts, instructions.values_for(record))
        queue_to_patient(
            patient,
            topic="aftercare",
            subject=text.title,
            body=text.body,
            about=f"treatment:{record.public_id}",
            now=now,
            dedupe_key=f"aftercare:{record.public_id}",
        )
        zone = clinic_zone(patient)
        local = now.astimezone(zone).date()
        name = patient.preferred_name or patient.given_name
        for day in sorted(settings.CHECK_IN_DAYS):
            due = datetime.combine(local + timedelta(days=day), time(10), zone)
            check_in = CheckIn.objects.create(
                treatment=record, patient=patient, day=day, due_at=due
            )
            values = {"name": name, "day": day, "link": check_in_url(check_in)}
            if day == 1:
                body = _(
                    "Hello %(name)s,\n\nPlease tell us how your skin feels after yesterday's "
                    "visit. It takes a minute:\n%(link)s"
                )
            else:
                body = _(
                    "Hello %(name)s,\n\nPlease tell us how you are %(day)s days after your "
                    "visit, and whether you are happy with it. It takes a minute:\n%(link)s"
                )
            queue_to_patient(
                patient,
                topic="check-in",
                subject=_("A quick question from the clinic"),
                body=body % values,
                about=f"check-in:{check_in.public_id}",
                due_at=due,
                now=now,
                dedupe_key=f"check-in:{check_in.public_id}",
            )


def open_check_in(patient, now: datetime) -> CheckIn | None:
    """Her check-in that is asking now: sent, not yet answered, its link still alive (the
    latest, when two are)."""
    return (
        CheckIn.objects.select_related("treatment__patient", "patient")
        .filter(
            patient=patient,
            status=CheckIn.Status.SCHEDULED,
            due_at__lte=now,
            due_at__gte=now - timedelta(days=settings.CHECK_IN_LINK_DAYS),
        )
        .order_by("-due_at")
        .first()
    )


def remind_and_mark_missed(now: datetime | None = None) -> int:
    """A check-in a day past due is reminded once; one past its link's life is missed (and so
    listed for staff). Run by the scheduler every minute."""
    now = now or timezone.now()
    expired = now - timedelta(days=settings.CHECK_IN_LINK_DAYS)
    done = CheckIn.objects.filter(status=CheckIn.Status.SCHEDULED, due_at__lt=expired).update(
        status=CheckIn.Status.MISSED
    )
    # Only a link that still works is worth a reminder.
    for check_in in CheckIn.objects.filter(
        status=CheckIn.Status.SCHEDULED,
        reminded_at__isnull=True,
        due_at__lt=now - timedelta(days=1),
        due_at__gte=expired,
    ).select_related("patient"):
        with write_transaction():
            if CheckIn.objects.filter(pk=check_in.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                with speaking(check_in.patient):
                    queue_to_patient(
                        check_in.patient,
                        topic="check-in-reminder",
                        subject=_("A reminder from the clinic"),
                        body=_("We have not heard from you yet. A minute of your time:\n%(link)s")
                        % {"link": check_in_url(check_in)},
                        about=f"check-in:{check_in.public_id}",
                        now=now,
                        dedupe_key=f"check-in-reminder:{check_in.public_id}",
                    )
                done += 1
    return done
