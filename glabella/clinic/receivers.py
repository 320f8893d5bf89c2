"""What the clinic answers other floors: its identity (`core.signals.brand_requested`)."""

from django.dispatch import receiver

from glabella.core import signals
from glabella.core.brand import Brand


def brand_of(org) -> Brand:
    if org is None:
        return Brand()
    return Brand(
        name=org.name or Brand.name,
        phone=org.phone,
        sender_name=org.sender_name,
        sender_email=org.sender_email,
        main_color=org.main_color,
        text_color=org.text_color,
        logo_version=org.logo_version if org.logo_type else "",
    )


@receiver(signals.brand_requested)
def clinic_brand(sender, organisation_id=None, **kwargs) -> Brand:
    from glabella.clinic.models import Organisation

    clinics = Organisation._base_manager.defer("logo").order_by("id")
    if organisation_id is not None:
        clinics = clinics.filter(pk=organisation_id)
    return brand_of(clinics.first())
