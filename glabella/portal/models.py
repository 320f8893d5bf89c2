"""The public pages' saved words (every version kept) and the contact form's messages."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from glabella.core.access import (
    SHARED,
    AccessRule,
    OrganisationScopedManager,
    RestrictedQuerySet,
    fill_organisation,
)
from glabella.core.roles import Capability
from glabella.portal import content


class SiteText(models.Model):
    """One saved version of a public page's words in one language; the newest per page and
    language is shown."""

    slug = models.CharField(max_length=40, choices=[(p.slug, p.nav) for p in content.DEFAULTS])
    # The language the words are written in (issue 21): each language keeps its own versions.
    language = models.CharField(
        max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    title = models.CharField(max_length=content.TITLE_MAX)
    description = models.CharField(max_length=content.DESCRIPTION_MAX)
    body = models.TextField(max_length=content.BODY_MAX)
    saved_at = models.DateTimeField(default=timezone.now)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(
        staff={"view": Capability.VIEW_CLINIC, "change": Capability.MANAGE_CLINIC},
        patient_actions=frozenset(),
        public=frozenset({"view"}),
    )
    organisation_field = SHARED

    class Meta:
        indexes = [
            models.Index(fields=["slug", "-saved_at"], name="portal_text_newest"),
            models.Index(fields=["language", "slug", "-saved_at"], name="portal_text_language"),
        ]

    def __str__(self) -> str:
        return f"{self.slug} [{self.language}] ({self.saved_at:%Y-%m-%d %H:%M})"


class ContactMessage(models.Model):
    """A message from the public contact form, waiting in the staff inbox."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "clinic.Organisation", on_delete=models.PROTECT, related_name="+", editable=False
    )
    name = models.CharField(max_length=150)
    email = models.EmailField()
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    location = models.ForeignKey(
        "clinic.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(max_length=3000)
    # The language of the page the form was sent from (issue 21): the desk answers in it.
    language = models.CharField(
        max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    received_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The patient who wrote, once an answer found them on file (their email or phone): the
    # message and its answers then belong to the patient's thread on their record.
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_messages",
    )

    objects = OrganisationScopedManager()
    access_rule = AccessRule(
        staff={"view": Capability.VIEW_PATIENT, "change": Capability.CHANGE_PATIENT},
        patient_actions=frozenset(),
    )
    organisation_field = "organisation"

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["handled_at", "-received_at"], name="portal_inbox")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def save(self, *args, **kwargs):
        if self.organisation_id is None:  # sent about one location: that clinic's
            fallback = self.location.organisation_id if self.location_id else None
            fill_organisation(self, fallback_id=fallback)
        super().save(*args, **kwargs)


class ContactReply(models.Model):
    """The desk's answer to a website message, sent by email or text through the outbox; kept
    with the message, and in the patient's thread when the sender is a patient on file."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contact = models.ForeignKey(ContactMessage, on_delete=models.CASCADE, related_name="replies")
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    to = models.CharField(max_length=254)
    body = models.TextField()
    sent_by = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by_name = models.CharField(max_length=200)
    sent_at = models.DateTimeField(default=timezone.now)
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(
        staff={"view": Capability.VIEW_PATIENT, "create": Capability.CHANGE_PATIENT},
        patient_actions=frozenset(),
    )
    organisation_field = "contact__organisation"

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"Answer by {self.channel} to {self.to} ({self.sent_at:%Y-%m-%d %H:%M})"
