"""How pages answer: on the clinic's clock (dates and times in templates show in the zone given),
and a patient's file as a private response."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone


def render_in(request, template: str, context: dict, zone, status: int = 200):
    """`render` with `zone` active (None: the server's, UTC)."""
    if zone is None:
        return render(request, template, context, status=status)
    with timezone.override(zone):
        return render(request, template, context, status=status)


def private_bytes(data, content_type: str) -> HttpResponse:
    """A patient's file (a photo) for the one who asked: never kept by the browser or a proxy."""
    response = HttpResponse(bytes(data), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
