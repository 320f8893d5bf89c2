"""What the portal listens to: patients' `record_sections`, answered with the website messages
the patient sent and the desk's answers to them (the patient's thread). Two queries."""

from django.dispatch import receiver

from glabella.core.roles import Capability
from glabella.patients.sections import Section
from glabella.patients.signals import record_sections
from glabella.portal.models import ContactMessage

SHOWN = 10


@receiver(record_sections, dispatch_uid="portal.record_sections")
def add_website_messages(sender, actor, patient, now, **kwargs):
    if not actor.can(Capability.VIEW_PATIENT):
        return None
    found = list(
        ContactMessage.objects.restrict(actor, "view")
        .filter(patient=patient)
        .prefetch_related("replies")
        .order_by("-received_at", "-id")[:SHOWN]
    )
    if not found:
        return None
    return Section(
        key="website-messages",
        title="Website messages",
        order=65,
        template="portal/record_thread.html",
        context={"rows": found},
    )
