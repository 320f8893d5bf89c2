"""FHIR Bulk Data export (the HL7 Bulk Data Access IG v2, "flat FHIR"): asked for, run on the
task worker, polled, downloaded as NDJSON, canceled, expired.

`kick_off` checks who asks and what (`_type`, `_since`, `_outputFormat`, nothing else), writes the
job with its audit row and enqueues `export_task` in the same transaction. The worker's `run`
claims the job (pending -> running, one conditional UPDATE), then reads every type through that
type's own `rows(actor)` as the requester (the access door: the files never hold more than she
may read), a page at a time, and writes one NDJSON file per type (more when a type holds more than
FHIR_EXPORT_FILE_RESOURCES), each in its own short write so the clinic's other writes are never
held up. It reads the replica when one is configured (`core.replica`), dated by what that held.
A cancel between two files stops it. At the end one access-log row names every patient
in the export with the counts per type; each download is logged with the patients in its file.

Who may: staff holding both VIEW_PATIENT and VIEW_CLINICAL export the system, a group, all
patients or one patient (an export that silently lacked the clinical records would mislead whoever
receives it); a patient's token exports only her own compartment, `Patient/<her id>/$export`.
Only the requester (the same user) polls, downloads or cancels. Files expire FHIR_EXPORT_HOURS
after the job finishes; `sweep` (a periodic job) deletes them and fails jobs whose worker died.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import DateTimeField
from django.utils import timezone
from django_tasks import task

from glabella.core import audit, bounds
from glabella.core.access import ANONYMOUS, acting_for, actor_for
from glabella.core.audit import Action, Kind
from glabella.core.db import write_transaction
from glabella.core.replica import reading_from_replica
from glabella.core.roles import Capability
from glabella.fhir import codes, registry, server
from glabella.fhir.models import BulkExport, BulkExportFile
from glabella.fhir.resources import groups
from glabella.fhir.server import FhirError
from glabella.patients.models import Patient

logger = logging.getLogger(__name__)

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
PARAMETERS = ("_type", "_since", "_outputFormat")
EXPORTERS = frozenset({Capability.VIEW_PATIENT, Capability.VIEW_CLINICAL})
MOST_ACTIVE = 2  # jobs one person may have waiting or running at once
PAGE = 500  # rows read per query
RETRY_SECONDS = 5  # what a poll of a running job is told to wait
STALE_MINUTES = 30  # a running job whose worker wrote nothing for this long has died
QUEUE = "default"

Status = BulkExport.Status
Level = BulkExport.Level


class TooMany(FhirError):
    """429: the person has exports waiting already."""


class Cancelled(Exception):
    """The job was canceled (or expired) while the worker ran it."""


# -- Kick-off ---------------------------------------------------------------------------------


def kick_off(
    actor,
    level: str,
    query,
    *,
    url: str,
    asynchronous: bool = True,
    group_id: str = "",
    patient_id: str = "",
    now: datetime | None = None,
) -> BulkExport:
    """Checks the request and queues the job; FhirError (400, 403, 404, 429) refuses it. Who
    may is checked first, then that the client asked for the asynchronous answer (Prefer:
    respond-async, the only one an export has), then the parameters."""
    now = now or timezone.now()
    patient = _may_export(actor, level, group_id, patient_id)
    if not asynchronous:
        raise FhirError(
            400, "invalid", "Bulk export answers asynchronously: send Prefer: respond-async."
        )
    params = server._params(query)
    for name in params:
        if name not in PARAMETERS:
            raise FhirError(
                400,
                "not-supported",
                f"$export does not take the parameter {name[:40]!r}. It takes: "
                + ", ".join(PARAMETERS)
                + ".",
                parameter=name,
            )
    _output_format(params)
    types, since = _types(level, params), _since(params, now)
    user = actor.saved_user
    with write_transaction():
        active = BulkExport.objects.filter(
            requester=user, status__in=[Status.PENDING, Status.RUNNING]
        )
        if active.count() >= MOST_ACTIVE:
            raise TooMany(
                429,
                "throttled",
                f"You have {MOST_ACTIVE} exports waiting or running; ask again when one is done.",
            )
        job = BulkExport.objects.create(
            requester=user,
            capabilities=sorted(str(c) for c in actor.capabilities),
            channel=actor.channel,
            level=level,
            group_id=group_id,
            patient_public_id=patient.public_id if patient else None,
            request_url=url[:2000],
            types=types,
            since=since,
            created_at=now,
        )
        audit.record(
            actor,
            Action.CREATE,
            Kind.FHIR_EXPORT,
            job.public_id,
            patient_public_id=job.patient_public_id,
            detail={
                "request": job.request_url,
                "types": types,
                "since": since.isoformat() if since else None,
            },
        )
        export_task.enqueue(job.pk)
    return job


def _may_export(actor, level: str, group_id: str, patient_id: str) -> Patient | None:
    """Refuses whoever may not ask for this export; the one patient asked for, if any."""
    if actor.is_patient:
        own = Patient.objects.filter(pk=actor.patient_id).values_list("public_id", flat=True)
        if level != Level.PATIENT or not _same_id(patient_id, own.first()):
            raise FhirError(
                403,
                "forbidden",
                "A patient's token exports only her own records: Patient/<her id>/$export.",
            )
    elif not actor.capabilities >= EXPORTERS:
        raise FhirError(
            403,
            "forbidden",
            "Bulk export needs access to both patients' details and clinical records; ask the "
            "clinic's owner for a token that holds them.",
        )
    if level == Level.GROUP and groups.members(actor, group_id) is None:
        raise FhirError(404, "not-found", f"No Group {group_id[:64]!r} that you may export.")
    if level == Level.PATIENT:
        patient = (
            Patient.objects.restrict(actor, "view")
            .filter(public_id=server._uuid("patient", patient_id))
            .first()
        )
        if patient is None:
            raise FhirError(404, "not-found", f"No Patient {patient_id[:64]!r} that you may read.")
        return patient
    return None


def _same_id(text: str, public_id) -> bool:
    try:
        return uuid.UUID(text) == public_id
    except ValueError:
        return False


def exportable(level: str) -> list[str]:
    """The types an export of this level holds unless `_type` says fewer: every exported type
    for the system; the patient compartment's for a group or patients."""
    found = []
    for name in registry.names():
        kind = registry.get(name)
        if not kind.exported:
            continue
        if level != Level.SYSTEM and (kind.patient is None or not _rows_of(kind)):
            continue
        found.append(name)
    return found


def _types(level: str, params) -> list[str]:
    allowed = exportable(level)
    values = params.get("_type")
    if not values:
        return allowed
    wanted = []
    for value in values:
        for name in (v.strip() for v in value.split(",")):
            if name not in allowed:
                where = "this server" if level == Level.SYSTEM else "a patient's compartment"
                raise FhirError(
                    400,
                    "not-supported",
                    f"_type {name[:64]!r} is not a type {where} exports. It exports: "
                    + ", ".join(allowed)
                    + ".",
                    parameter="_type",
                )
            if name not in wanted:
                wanted.append(name)
    return wanted


def _since(params, now: datetime) -> datetime | None:
    values = params.get("_since")
    if not values:
        return None
    message = (
        "_since takes an instant with its offset, such as 2026-01-31T09:00:00-08:00, "
        "between 1900 and now."
    )
    # A "+" in a query string arrives as a space when the client did not encode it.
    text = values[-1].strip().replace(" ", "+")
    try:
        since = bounds.parse_instant(text)
    except ValueError:
        raise FhirError(400, "invalid", message, parameter="_since") from None
    if timezone.is_naive(since) or since > now:
        raise FhirError(400, "invalid", message, parameter="_since")
    return since


def _output_format(params) -> None:
    for value in params.get("_outputFormat", []):
        if value.strip() not in OUTPUT_FORMATS:
            raise FhirError(
                400,
                "not-supported",
                "_outputFormat takes application/fhir+ndjson (or application/ndjson, ndjson).",
                parameter="_outputFormat",
            )


# -- The worker -------------------------------------------------------------------------------


@task(queue_name=QUEUE)
def export_task(export_id: int) -> str:
    return run(export_id)


def run(export_id: int, now: datetime | None = None) -> str:
    """Claims and runs one export; returns what happened, for the task's result."""
    now = now or timezone.now()
    won = BulkExport.objects.filter(pk=export_id, status=Status.PENDING).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, transaction_time=now
    )
    if not won:
        return "not claimed"
    job = BulkExport.objects.get(pk=export_id)
    actor = requester(job)
    if actor is None:
        _fail(job, "The account that asked for this export may no longer read these records.")
        return "failed"
    try:
        with acting_for(actor.organisation_id), reading_from_replica() as read:
            # Her clinic's rows only (decision 0047); from the replica when there is one.
            if read.from_replica:  # the next `_since` export starts where this one's data ends
                job.transaction_time = min(read.as_of, job.transaction_time)
                BulkExport.objects.filter(pk=job.pk).update(transaction_time=job.transaction_time)
            counts, patients = _write(job, actor)
    except Cancelled:
        with write_transaction():
            BulkExportFile.objects.filter(export=job).delete()
        return "cancelled"
    except Exception:  # a failed export must say so, not stay running
        logger.exception("FHIR export %s failed", job.public_id)
        _fail(job, "The export stopped on an error on the server; ask for a new one.")
        return "failed"
    finished = timezone.now()
    with write_transaction():
        done = BulkExport.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            status=Status.COMPLETE,
            finished_at=finished,
            expires_at=finished + timedelta(hours=settings.FHIR_EXPORT_HOURS),
            progress="Complete",
        )
        if not done:
            BulkExportFile.objects.filter(export=job).delete()
            return "cancelled"
        audit.record_listing(
            actor,
            Kind.FHIR_EXPORT,
            patients,
            action=Action.EXPORT,
            object_id=job.public_id,
            detail={"request": job.request_url, "counts": counts},
        )
    return "complete"


def requester(job: BulkExport):
    """The requester as the worker acts for her: her account today, with no more than she held
    when she asked (a token's scope); None when the account no longer reaches anything."""
    actor = actor_for(job.requester, channel=job.channel)
    if actor.role == ANONYMOUS:
        return None
    held = {c for c in actor.capabilities if str(c) in set(job.capabilities)}
    if actor.is_staff and not held >= EXPORTERS:
        return None  # her role changed since: an export without clinical records misleads
    return dataclasses.replace(
        actor, capabilities=frozenset(held), label=f"{actor.label} (Bulk export)"
    )


def _fail(job: BulkExport, message: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with write_transaction():
        BulkExport.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            status=Status.FAILED,
            error=message,
            finished_at=now,
            expires_at=now + timedelta(hours=settings.FHIR_EXPORT_HOURS),
        )
        BulkExportFile.objects.filter(export=job).delete()


def _write(job: BulkExport, actor) -> tuple[dict[str, int], list[str]]:
    """Every type's files; the count per type and the patients in the export."""
    members = _members(job, actor)
    counts: dict[str, int] = {}
    patients: dict[str, None] = {}
    writer = _Files(job)
    for index, name in enumerate(job.types):
        kind = registry.get(name)
        if kind is None:
            raise ValueError(f"{name} is no longer served")
        writer.progress = f"{name}: type {index + 1} of {len(job.types)}"
        writer.beat()
        counts[name] = 0
        for resource, patient_id in _resources(kind, actor, job, members):
            writer.add(name, resource, patient_id)
            counts[name] += 1
            if patient_id:
                patients[str(patient_id)] = None
        writer.flush()
    return counts, list(patients)


def _members(job: BulkExport, actor):
    """The patients a group or patient export is about (a queryset), None for the system."""
    if job.level == Level.SYSTEM:
        return None
    if job.level == Level.PATIENT:
        return Patient.objects.restrict(actor, "view").filter(public_id=job.patient_public_id)
    if job.level == Level.GROUP:
        found = groups.members(actor, job.group_id)
        if found is None:
            raise ValueError(f"Group {job.group_id} is gone")
        return found
    return Patient.objects.restrict(actor, "view")


def _rows_of(kind) -> bool:
    """Whether a type is served from rows (its own or its parts'), not worked out."""
    return kind.rows is not None or bool(kind.parts)


def _resources(kind, actor, job: BulkExport, members):
    """(resource, its patient's public id) for every row of `kind` the export holds: of each
    model it is served from in turn (`server.sources`)."""
    if not _rows_of(kind):
        for resource in kind.listing(actor, {}) if kind.listing else []:
            yield resource, None
        return
    for part in server.sources(kind):
        yield from _rows_resources(part, actor, job, members)


def _rows_resources(kind, actor, job: BulkExport, members):
    rows = kind.rows(actor)
    if members is not None:
        rows = rows.filter(**{kind.patient_lookup("pk__in"): members.values("pk")})
    if kind.updated:
        precise = isinstance(server._field(rows.model, kind.updated), DateTimeField)
        if job.since is not None:
            since = job.since if precise else job.since.date()
            rows = rows.filter(**{f"{kind.updated}__{'gt' if precise else 'gte'}": since})
        if precise:
            # Nothing changed after the transaction time: the next `_since` export has it.
            rows = rows.filter(**{f"{kind.updated}__lte": job.transaction_time})
    last = None
    while True:
        page = rows.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        found = list(page[:PAGE])
        if not found:
            return
        for row in found:
            yield server.finished(kind, row), server.patient_public_id(kind, row)
        last = found[-1].pk


class _Files:
    """Lines gathered into files of at most FHIR_EXPORT_FILE_RESOURCES, each written in its own
    short transaction that first checks the job still runs (a cancel stops the next write)."""

    def __init__(self, job: BulkExport):
        self.job = job
        self.lines: list[bytes] = []
        self.patients: dict[str, None] = {}
        self.type = ""
        self.position = 0
        self.progress = ""

    def add(self, name: str, resource: dict, patient_id) -> None:
        if name != self.type:
            self.flush()
            self.type = name
        line = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
        self.lines.append(line.encode())
        if patient_id:
            self.patients[str(patient_id)] = None
        if len(self.lines) >= settings.FHIR_EXPORT_FILE_RESOURCES:
            self.flush()

    def beat(self) -> None:
        with write_transaction():
            self._still_running()

    def _still_running(self) -> None:
        alive = BulkExport.objects.filter(pk=self.job.pk, status=Status.RUNNING).update(
            heartbeat_at=timezone.now(), progress=self.progress[:200]
        )
        if not alive:
            raise Cancelled

    def flush(self) -> None:
        if not self.lines:
            return
        with write_transaction():
            self._still_running()
            BulkExportFile.objects.create(
                export=self.job,
                resource_type=self.type,
                position=self.position,
                count=len(self.lines),
                data=b"\n".join(self.lines) + b"\n",
                patients=list(self.patients),
            )
        self.position += 1
        self.lines, self.patients = [], {}


# -- Status, files, cancel --------------------------------------------------------------------


def job_of(actor, public_id: str) -> BulkExport:
    """The requester's job, or 404: another person's job is answered as if it did not exist."""
    job = BulkExport.objects.of(actor).filter(public_id=_job_id(public_id)).first()
    if job is not None and not {str(c) for c in job.capabilities} <= {
        str(c) for c in actor.capabilities
    }:
        job = None  # the same person through a token of less reach than the one that asked
    if job is None or job.status == Status.CANCELLED:
        raise FhirError(404, "not-found", "No export with this address that you asked for.")
    return job


def _job_id(value: str):
    try:
        return server._uuid("export", value)
    except FhirError:
        raise FhirError(404, "not-found", "No export with this address.") from None


def expired(job: BulkExport, now: datetime) -> bool:
    return job.status == Status.EXPIRED or (job.expires_at is not None and job.expires_at <= now)


def _gone(job: BulkExport) -> FhirError:
    when = server.instant(job.expires_at) if job.expires_at else "earlier"
    return FhirError(
        410, "expired", f"This export expired at {when} and its files are deleted; ask again."
    )


def status_url(job: BulkExport) -> str:
    return f"{codes.base_url()}/$export-status/{job.public_id}"


def file_url(job: BulkExport, found: BulkExportFile) -> str:
    return f"{codes.base_url()}/$export-file/{job.public_id}/{found.public_id}"


@dataclass
class Poll:
    """What a poll answers: 202 with progress, 200 with the manifest; a failure is a FhirError."""

    code: int
    progress: str = ""
    manifest: dict | None = None
    expires_at: datetime | None = None


def status(actor, public_id: str, now: datetime | None = None) -> Poll:
    now = now or timezone.now()
    job = job_of(actor, public_id)
    if expired(job, now):
        raise _gone(job)
    if job.status in (Status.PENDING, Status.RUNNING):
        return Poll(202, progress=job.progress or "Waiting for the worker")
    if job.status == Status.FAILED:
        raise FhirError(500, "exception", job.error or "The export failed; ask for a new one.")
    files = job.files.only("public_id", "resource_type", "count", "position")
    manifest = {
        "transactionTime": server.instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": f.resource_type, "url": file_url(job, f), "count": f.count} for f in files
        ],
        "error": [],
    }
    return Poll(200, manifest=manifest, expires_at=job.expires_at)


def download(actor, public_id: str, file_id: str, now: datetime | None = None) -> bytes:
    """One file's NDJSON, logged with the patients in it."""
    now = now or timezone.now()
    job = job_of(actor, public_id)
    if expired(job, now):
        raise _gone(job)
    found = (
        job.files.filter(public_id=_job_id(file_id)).first()
        if job.status == Status.COMPLETE
        else None
    )
    if found is None:
        raise FhirError(404, "not-found", "No file with this address in this export.")
    with write_transaction():
        audit.record_listing(
            actor,
            Kind.FHIR_EXPORT,
            found.patients,
            object_id=job.public_id,
            detail={"file": f"{found.resource_type} {found.position + 1}", "count": found.count},
        )
    return bytes(found.data)


def cancel(actor, public_id: str) -> None:
    """Cancels a job (or deletes a finished one's files); its address then answers 404."""
    job = job_of(actor, public_id)
    with write_transaction():
        BulkExport.objects.filter(pk=job.pk).exclude(status=Status.CANCELLED).update(
            status=Status.CANCELLED, finished_at=timezone.now(), progress=""
        )
        BulkExportFile.objects.filter(export=job).delete()
        audit.record(
            actor,
            Action.DELETE,
            Kind.FHIR_EXPORT,
            job.public_id,
            patient_public_id=job.patient_public_id,
            detail={"was": job.status},
        )


# -- Upkeep -----------------------------------------------------------------------------------


def sweep(now: datetime) -> int:
    """The scheduler's minute: expired exports lose their files; a running export whose worker
    has written nothing for STALE_MINUTES failed. Returns how many jobs it ended."""
    ended = 0
    due = BulkExport.objects.filter(
        status__in=[Status.COMPLETE, Status.FAILED], expires_at__lte=now
    )
    for job_id in due.values_list("pk", flat=True)[:100]:
        with write_transaction():
            BulkExportFile.objects.filter(export_id=job_id).delete()
            ended += BulkExport.objects.filter(pk=job_id, expires_at__lte=now).update(
                status=Status.EXPIRED
            )
    stale = BulkExport.objects.filter(
        status=Status.RUNNING, heartbeat_at__lt=now - timedelta(minutes=STALE_MINUTES)
    )
    for job in stale[:100]:
        _fail(job, "The export stopped before it finished; ask for a new one.", now)
        ended += 1
    return ended
