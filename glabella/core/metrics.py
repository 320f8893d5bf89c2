"""The Prometheus numbers at /metrics: each request's time and answer by route, and the
deployment's own gauges, worked out from the database at each scrape.

Requests: `glabella_request_duration_seconds` (a histogram) and `glabella_responses_total` (a
counter), labelled by the route's name (`patients:record`, never the path, which carries ids
and tokens), the method and, for the counter, the status. Paths no route matches count under
`unmatched`.

Gauges: every `core.health` measure as `glabella_<name>` (queue length, failed messages, alerts
waiting, outbox lag, the worker's heartbeat age...), read from the database when scraped, so
they are the same whichever process answers; `glabella_database_up` is 0 when it does not answer.

Several processes (gunicorn's workers): with PROMETHEUS_MULTIPROC_DIR set in the environment
before start, prometheus_client keeps each process's request counts in files there and a scrape
adds them up (the directory must exist, writable, and be emptied when the server starts).
Without it, each process counts its own requests and a scrape sees one process's.

Who may read: addresses in METRICS_ALLOWED_NETWORKS (loopback unless set), or a request with
`Authorization: Bearer <METRICS_TOKEN>` when that is set; anyone else gets 404.
"""

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from glabella.core import health
from glabella.core.access import client_ip

CONTENT_TYPE = CONTENT_TYPE_LATEST
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_SECONDS = Histogram(
    "glabella_request_duration_seconds",
    "Time to answer a request, by route name and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
RESPONSES = Counter(
    "glabella_responses",
    "Responses by route name, method and HTTP status.",
    ["route", "method", "status"],
)


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None and match.view_name else "unmatched"


class RequestMetricsMiddleware:
    """Times every request below it and counts its answer under its route's name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_of(request)
        method = request.method if request.method in METHODS else "other"
        REQUEST_SECONDS.labels(route, method).observe(time.perf_counter() - started)
        RESPONSES.labels(route, method, str(response.status_code)).inc()
        return response


class DatabaseGauges:
    """The registered measures as gauges, read now (a collector prometheus_client calls)."""

    def collect(self):
        answers = health.database_ok() is None
        up = GaugeMetricFamily("glabella_database_up", "1 when the database answers, else 0.")
        up.add_metric([], 1 if answers else 0)
        yield up
        if not answers:
            return
        now = timezone.now()
        families: dict[str, GaugeMetricFamily] = {}
        for measure in health.MEASURES:
            keys = sorted(measure.labels)
            family = families.get(measure.name)
            if family is None:
                family = families[measure.name] = GaugeMetricFamily(
                    f"glabella_{measure.name}", measure.help, labels=keys
                )
            try:
                value = measure.read(now)
            except DatabaseError:
                continue  # e.g. a table not migrated yet: the sample is left out
            if value is not None:
                family.add_metric([measure.labels[k] for k in keys], value)
        yield from families.values()


def exposition() -> bytes:
    """The text /metrics answers: request counts (from every process in multiprocess mode)
    followed by the gauges read from the database."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(DatabaseGauges())
    return generate_latest(requests) + generate_latest(gauges)


def may_read(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").encode()
        if hmac.compare_digest(given, f"Bearer {token}".encode()):
            return True
    address = client_ip(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in settings.METRICS_ALLOWED_NETWORKS)
