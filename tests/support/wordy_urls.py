"""The whole URL conf plus pages made up for the words crawl's own test: one says everything a
page must not (tests/test_crawl_words.py must catch each), linked from one that says nothing
wrong, and one that fails with a server error."""

from django.http import HttpResponse
from django.urls import path

from glabella.core.decorators import staff_page
from glabella.core.roles import Capability
from glabella.urls import urlpatterns as real

CLEAN = """<!doctype html><html><head><title>Clean</title>
<script>var lateral_canthal_right = "2026-12-01T10:13:00+00:00";</script></head><body>
<p data-key="bleeding_problems" title="2026-12-01">Visit on Dec 1, 2026, 10:13 AM at the
<a href="/staff/wordy/">center</a> of town; call <a href="tel:+18055550100">(805) 555-0100</a>,
write to no_reply@example.com.</p><a href="/staff/broken/">broken</a>
<a href="https://example.org/colour">elsewhere</a></body></html>"""

WORDY = """<!doctype html><html><head><title>Wordy</title></head><body>
<p>Area: lateral_canthal_right. Source: glabella. Received 2026-12-01, 10:13 UTC
(at T10:13, 10:13:00+00:00). Call +18055550100. Your licence, the labelling, the colour.</p>
<a href="/staff/wordy/">again</a></body></html>"""


@staff_page(Capability.VIEW_PATIENT)
def clean(request):
    return HttpResponse(CLEAN)


@staff_page(Capability.VIEW_PATIENT)
def wordy(request):
    return HttpResponse(WORDY)


@staff_page(Capability.VIEW_PATIENT)
def broken(request):
    raise RuntimeError("a page that breaks")


urlpatterns = [
    path("staff/clean/", clean, name="clean"),
    path("staff/wordy/", wordy, name="wordy"),
    path("staff/broken/", broken, name="broken"),
    *real,
]
