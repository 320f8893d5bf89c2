"""A FHIR Bulk Data export: the job someone asked for, and the NDJSON files it wrote.

A job moves pending -> running -> complete (or failed), or to cancelled when its requester
deletes it; its files may be downloaded until `expires_at`, then the scheduler deletes them and
the job says `expired`. Only its requester (the same user, by token or session) sees a job or
its files: `BulkExport.objects.of(actor)` is the door, not a capability, since the files hold
what that one person's access let the worker read.

The files are kept in the database, not under DATA_DIR: they are patient data, so they sit
behind the same backups, encryption at rest and deletion as the records they copy; every web
process and worker sees them without a shared disk; and a job's files go with its row in one
transaction. They live a day by default (FHIR_EXPORT_HOURS) and a clinic's whole record is a
few megabytes of NDJSON per thousand patients.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class BulkExportQuerySet(models.QuerySet):
    def of(self, actor):
        """The jobs this actor asked for: the same user, whichever token or session polls."""
        user = actor.saved_user
        return self.filter(requester=user) if user is not None else self.none()


class BulkExport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the worker"
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Canceled"
        EXPIRED = "expired", "Expired"

    class Level(models.TextChoices):
        SYSTEM = "system", "Everything"
        GROUP = "group", "A group of patients"
        PATIENTS = "patients", "All patients"
        PATIENT = "patient", "One patient"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fhir_exports"
    )
    # What the requester held when asking (a token's scope narrows the role); the worker acts
    # with no more than this and no more than the role holds when it runs.
    capabilities = models.JSONField(default=list)
    channel = models.CharField(max_length=10, default="api")
    level = models.CharField(max_length=10, choices=Level.choices)
    group_id = models.CharField(max_length=64, blank=True)
    patient_public_id = models.UUIDField(null=True, blank=True)
    request_url = models.CharField(max_length=2000)
    types = models.JSONField(default=list)  # resource type names, in export order
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the worker's last file written
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = BulkExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="fhir_export_expiry")]

    def __str__(self) -> str:
        return f"FHIR export {self.public_id} ({self.status})"


class BulkExportFile(models.Model):
    """One NDJSON file of one resource type: a resource per line, `count` lines."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    export = models.ForeignKey(BulkExport, on_delete=models.CASCADE, related_name="files")
    resource_type = models.CharField(max_length=64)
    position = models.PositiveIntegerField()  # order in the manifest
    count = models.PositiveIntegerField()
    data = models.BinaryField()
    patients = models.JSONField(default=list)  # the public ids of the patients in it, for the log

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["export", "position"], name="fhir_export_file_order")
        ]

    def __str__(self) -> str:
        return f"{self.resource_type} ({self.count})"
