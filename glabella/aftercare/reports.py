"""The patient's report after a treatment: its answers cleaned, triaged and stored.

`submit` (from a check-in link) and `report_between` (from the portal) write the report, its
alert and every message the alert sends (`alerts`) in one transaction: either all of it is
recorded and will be delivered, or none of it. A check-in is answered once.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from glabella.aftercare import photos, signals, triage
from glabella.aftercare.alerts import raise_alert
from glabella.aftercare.models import CheckIn, Report, ReportPhoto
from glabella.clinic.clock import clinic_zone
from glabella.core import audit
from glabella.core.access import Actor, link_actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, ValidationFailed

Action = audit.Action
MAX_TEXT = 2000
# A patient may tell us how they are from the portal for this long after a treatment.
REPORT_WINDOW_DAYS = 180


def clean_report(raw: object, *, day: int | None, treated_on: date | None, today: date) -> dict:
    if not isinstance(raw, dict):
        raise ValidationFailed({"report": [_("Send the answers as an object.")]})
    errors: dict[str, list[str]] = {}
    allowed = {
        "symptoms", "severity", "started_on", "getting_better", "free_text", "effect_shows",
        "satisfied",
    }  # fmt: skip
    for key in sorted(set(raw) - allowed):
        errors[key] = [_("This is not a question of the check-in.")]
    symptoms = raw.get("symptoms", [])
    if not isinstance(symptoms, list) or not all(isinstance(s, str) for s in symptoms):
        errors["symptoms"] = [_("Choose from the list of symptoms.")]
        symptoms = []
    unknown = [s for s in symptoms if s not in triage.BY_CODE]
    if unknown:
        errors["symptoms"] = [_("Not on the list: %(codes)s.") % {"codes": ", ".join(unknown[:3])}]
    severity = raw.get("severity") or ""
    if severity and (not isinstance(severity, str) or severity not in set(triage.Severity)):
        errors["severity"] = [_("Choose mild, moderate or severe.")]
    if symptoms and not severity:
        errors.setdefault("severity", [_("Say how bad it is: mild, moderate or severe.")])
    started = raw.get("started_on")
    started_on = None
    if started not in (None, ""):
        try:
            started_on = date.fromisoformat(str(started))
        except ValueError:
            errors["started_on"] = [_("Give the date as YYYY-MM-DD.")]
        else:
            if started_on > today:
                errors["started_on"] = [_("This date is in the future.")]
            elif treated_on and started_on < treated_on:
                errors["started_on"] = [_("This is before your treatment; give the day it began.")]
    flags = {}
    for key in ("getting_better", "effect_shows", "satisfied"):
        value = raw.get(key)
        if value is not None and not isinstance(value, bool):
            errors[key] = [_("Answer yes or no.")]
        flags[key] = value
    if (
        day is not None
        and day < 14
        and (flags["effect_shows"] is not None or flags["satisfied"] is not None)
    ):
        errors["effect_shows"] = [_("We ask about the result at two weeks.")]
    text = raw.get("free_text", "") or ""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        errors["free_text"] = [_("Keep it to %(count)s characters.") % {"count": MAX_TEXT}]
        text = ""
    if errors:
        raise ValidationFailed(errors)
    return {
        "symptoms": list(dict.fromkeys(symptoms)),
        "severity": severity,
        "started_on": started_on,
        "free_text": text.strip(),
        **flags,
    }


def submit(
    check_in: CheckIn,
    raw: object,
    *,
    via: str = "link",
    photo: bytes | None = None,
    now: datetime | None = None,
):
    """The patient's answers to a check-in: stored, triaged, and, if a clinician must act, an
    alert with its messages, all in one transaction. A check-in is answered once."""
    actor = link_actor(
        "check-in-link", f"check-in {via} for patient {check_in.patient.public_id}",
        check_in.patient_id,
    )  # fmt: skip
    return _record(actor, check_in.treatment, raw, check_in=check_in, via=via, photo=photo, now=now)


def answer_by_text(actor: Actor, check_in: CheckIn, words: str, now: datetime):
    """Her text while a check-in is open is its answer: the note of the web form, triaged by
    the same engine, its alert and messages raised the same way; inside the text's transaction
    (messaging's `text_received`)."""
    raw = {"free_text": words[:MAX_TEXT]}
    return _record(
        actor, check_in.treatment, raw, check_in=check_in, via="text", photo=None, now=now,
        inside=True,
    )  # fmt: skip


def may_report_on(treatment, now: datetime) -> bool:
    return treatment.locked_at is not None and days_since(treatment, now) <= REPORT_WINDOW_DAYS


def report_between(
    actor: Actor, treatment, raw: object, *, photo: bytes | None = None, now: datetime | None = None
):
    """A signed-in patient tells us how they are, from the portal, on any day within
    REPORT_WINDOW_DAYS of a treatment; a check-in that is due is answered by it."""
    now = now or timezone.now()
    if not actor.is_patient or actor.patient_id != treatment.patient_id:
        raise Forbidden("Only the patient reports on their own treatment.")
    if not may_report_on(treatment, now):
        raise Conflict(_("This treatment is too long ago to report on here; please call us."))
    due = (
        CheckIn.objects.filter(
            treatment=treatment,
            status__in=[CheckIn.Status.SCHEDULED, CheckIn.Status.MISSED],
            due_at__lte=now,
        )
        .order_by("due_at")
        .first()
    )
    return _record(actor, treatment, raw, check_in=due, via="portal", photo=photo, now=now)


def days_since(treatment, now: datetime) -> int:
    zone = clinic_zone(treatment.patient)
    return (now.astimezone(zone).date() - treatment.locked_at.astimezone(zone).date()).days


def _record(actor: Actor, record, raw: object, *, check_in, via: str, photo, now, inside=False):
    """`inside`: called within another service's transaction (a signal's receiver)."""
    now = now or timezone.now()
    patient = record.patient
    zone = clinic_zone(patient)
    day = check_in.day if check_in is not None else days_since(record, now)
    errors: dict[str, list[str]] = {}
    try:
        cleaned = clean_report(
            raw,
            day=day,
            treated_on=record.locked_at.astimezone(zone).date() if record.locked_at else None,
            today=now.astimezone(zone).date(),
        )
    except ValidationFailed as exc:
        errors.update(exc.fields)
    picture = None
    if photo is not None:
        try:
            picture = photos.clean(photo)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    result = triage.triage(
        triage.Report(
            symptoms=tuple(cleaned["symptoms"]),
            severity=triage.Severity(cleaned["severity"]) if cleaned["severity"] else None,
            getting_better=cleaned["getting_better"],
            free_text=cleaned["free_text"],
            days_since=day,
        )
    )
    with transaction.atomic() if inside else write_transaction():
        if check_in is not None:
            locked = CheckIn.objects.select_for_update().get(pk=check_in.pk)
            if locked.status == CheckIn.Status.SUBMITTED:
                raise Conflict(_("This check-in has been answered. Thank you."))
            CheckIn.objects.filter(pk=locked.pk).update(status=CheckIn.Status.SUBMITTED)
        report = Report.objects.create(
            check_in=check_in,
            patient=patient,
            treatment=record,
            symptoms=cleaned["symptoms"],
            severity=cleaned["severity"],
            started_on=cleaned["started_on"],
            getting_better=cleaned["getting_better"],
            free_text=cleaned["free_text"],
            effect_shows=cleaned["effect_shows"],
            satisfied=cleaned["satisfied"],
            urgency=result.urgency.value,
            reasons=[{"urgency": r.urgency.value, "why": r.why} for r in result.reasons],
            submitted_at=now,
            via=via,
        )
        if picture is not None:
            ReportPhoto.objects.create(
                report=report,
                patient=patient,
                data=picture.data,
                content_type=picture.content_type,
                width=picture.width,
                height=picture.height,
            )
        if result.urgency != triage.Urgency.SELF_CARE:
            raise_alert(report, result, now, zone)
        signals.report_recorded.send(Report, report=report, now=now)
        audit.record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type=audit.Kind.AFTERCARE_REPORT,
            object_id=report.public_id,
            detail={"urgency": result.urgency.value},
        )
    return report
