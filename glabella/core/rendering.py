"""Pages render on the clinic's clock: dates and times in templates show in the zone given."""

from django.shortcuts import render
from django.utils import timezone


def render_in(request, template: str, context: dict, zone, status: int = 200):
    """`render` with `zone` active (None: the server's, UTC)."""
    if zone is None:
        return render(request, template, context, status=status)
    with timezone.override(zone):
        return render(request, template, context, status=status)
