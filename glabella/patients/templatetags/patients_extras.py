"""Small template filters for the patient pages."""

from django import template

from glabella.clinic.clock import local_today

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def has_errors(form) -> bool:
    return bool(form is not None and form.is_bound and form.errors)


@register.filter
def age_today(patient) -> int:
    return patient.age_on(local_today(patient.preferred_location))


@register.filter
def active_entries(entries) -> list:
    """The entries still current (an allergy marked no longer current leaves the banner)."""
    return [e for e in entries or () if e.active]
