"""/healthz and /metrics, answered by `HealthMiddleware` ahead of every other middleware.

A load balancer's probe must not need a session, a second factor, an HTTPS redirect, a host
name from ALLOWED_HOSTS (probes often send the container's address) or any page machinery that
reads the database (the clinic's clock does): so the middleware near the top of MIDDLEWARE
answers these two paths itself, GET and HEAD only, and the request metrics below it never count
them. The URL conf names them (`health:healthz`, `health:metrics`) for `reverse` and the route
tests; a request never reaches them there.
"""

from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound, JsonResponse
from django.utils import timezone

from glabella.core import health, metrics

HEALTHZ = "/healthz"
METRICS = "/metrics"


def healthz(request):
    healthy, body = health.report(timezone.now())
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


def metrics_page(request):
    if not metrics.may_read(request):
        return HttpResponseNotFound("Not found", content_type="text/plain")
    response = HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


VIEWS = {HEALTHZ: healthz, METRICS: metrics_page}


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = VIEWS.get(request.path_info)
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request)
