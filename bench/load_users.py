"""The load test's users (locust), each doing what one kind of person does all day; run by
bench/load.py, which hands them their tokens and the visits to work on in LOAD_POOL (a JSON
file). Requests are named by route, not by URL.

- PublicVisitor: the free times of the online service at a location (JSON API), the booking
  page's week, a time's details form, then the booking itself (a real POST with its CSRF token).
  409 (or 422 naming the time) on the POST means the time was taken between the page and the
  click: counted apart as "taken", not as a failure.
- FrontDesk (bearer token): a location's day of appointments, a patient search, and checkout of
  a visit (open its invoice, add its service, take the payment in cash).
- Injector (bearer token): charting a visit (check in, start the record, save the draft's
  points, check the plan against the dose guard).

A run stops after LOAD_MAX_REQUESTS requests whatever its time limit; on leaving, the counts
of taken times and used-up pools go to LOAD_RESULT (JSON).
"""

import json
import os
import random
import re
import threading
from datetime import date, timedelta
from html import unescape
from urllib.parse import quote, unquote

import gevent
from locust import FastHttpUser, between, events, task

POOL = json.loads(open(os.environ["LOAD_POOL"]).read())  # noqa: SIM115 - read once at import
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "0"))
COUNTS = {"requests": 0, "taken": 0, "pool_empty": 0, "bookings": 0}
LOCK = threading.Lock()
SLOT = re.compile(r'href="\?[^"]*?start=([^"&]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TODAY = date.fromisoformat(POOL["today"])
# The queues of visits to work on: each is used once, by one user.
QUEUES = {name: list(POOL[name]) for name in ("charting", "checkout")}


def take(name: str):
    queue = QUEUES[name]
    if not queue:
        COUNTS["pool_empty"] += 1
        return None
    return queue.pop()


@events.request.add_listener
def _count(**_kwargs):
    COUNTS["requests"] += 1
    if MAX_REQUESTS and COUNTS["requests"] == MAX_REQUESTS:
        runner = _count.environment.runner
        gevent.spawn(runner.quit)  # the request bound reached: stop every user


@events.init.add_listener
def _remember(environment, **_kwargs):
    _count.environment = environment


@events.quitting.add_listener
def _report(environment, **_kwargs):
    """Every route's figures as locust holds them at the end, and the counts above."""
    stats = environment.stats

    def figures(entry, name):
        seconds = max(stats.last_request_timestamp - stats.start_time, 1e-9)
        return {
            "name": name,
            "requests": entry.num_requests,
            "rps": entry.num_requests / seconds,
            "p50": entry.get_response_time_percentile(0.50),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "failures": entry.num_failures,
        }

    routes = [figures(e, e.name) for _, e in sorted(stats.entries.items())]
    errors = [
        {"route": e.name, "error": str(e.error), "count": e.occurrences}
        for e in stats.errors.values()
    ]
    with open(os.environ["LOAD_RESULT"], "w") as out:
        json.dump(
            {
                **COUNTS,
                "left": {k: len(v) for k, v in QUEUES.items()},
                "routes": [*routes, figures(stats.total, "all routes")],
                "errors": errors,
            },
            out,
        )


class PublicVisitor(FastHttpUser):
    weight = 6
    wait_time = between(1, 3)

    @task(3)
    def availability(self):
        location = random.choice(POOL["locations"])
        day = TODAY + timedelta(days=random.randint(0, 20))
        self.client.get(
            f"/api/v1/scheduling/availability?service={POOL['online_service']}"
            f"&location={location}&from={day}&to={day + timedelta(days=6)}",
            name="GET /api/v1/scheduling/availability",
        )

    @task(2)
    def book(self):
        location = random.choice(POOL["locations"])
        day = TODAY + timedelta(days=random.randint(1, 20))
        query = f"?location={location}&service={POOL['online_service']}&day={day}"
        week = self.client.get(f"/book/{query}", name="GET /book/ (week)")
        starts = SLOT.findall(week.text or "")
        if not starts:
            return
        start = unquote(unescape(random.choice(starts)))
        details = self.client.get(
            f"/book/{query}&start={quote(start)}", name="GET /book/ (details form)"
        )
        token = CSRF.search(details.text or "")
        if token is None:
            return
        n = random.randrange(10**9)
        form = {
            "csrfmiddlewaretoken": token.group(1),
            "location": location,
            "service": POOL["online_service"],
            "start": start,
            "provider": "",
            "given_name": "Load",
            "family_name": f"Visitor{n}",
            "birth_date": str(date(1955, 1, 1) + timedelta(days=random.randrange(16000))),
            "email": f"visitor{n}@example.org",
            "phone": f"+1805{random.randint(2000000, 9999999)}",
            "postal_code": POOL["zip"][location],
            "preferred_channel": "email",
            "language": "en",
        }
        with self.client.post(
            "/book/",
            data=form,
            name="POST /book/ (booking)",
            headers={"Referer": f"{self.host}/book/"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302 and "/book/manage/" in response.headers.get(
                "Location", ""
            ):
                COUNTS["bookings"] += 1
                response.success()
            elif response.status_code in (409, 422) and "just taken" in (response.text or ""):
                COUNTS["taken"] += 1  # another visitor booked it since the page was drawn
                response.success()
            else:
                response.failure(f"booking answered {response.status_code}")


class StaffUser(FastHttpUser):
    abstract = True

    def on_start(self):
        self.client.headers = {}

    def api(self, method, path, name, body=None, expect=(200, 201)):
        with self.client.request(
            method,
            path,
            name=name,
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            catch_response=True,
        ) as response:
            if response.status_code not in expect:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
                return None
            return response.json()


class FrontDesk(StaffUser):
    weight = 3
    wait_time = between(1, 3)
    token = POOL["tokens"]["desk"]

    @task(3)
    def calendar_day(self):
        location = random.choice(POOL["locations"])
        day = TODAY + timedelta(days=random.randint(-3, 10))
        self.api(
            "GET",
            f"/api/v1/scheduling/appointments?location={location}&from={day}&to={day}&limit=500",
            "GET /api/v1/scheduling/appointments (a location's day)",
        )

    @task(3)
    def patient_search(self):
        self.api(
            "GET",
            f"/api/v1/patients?q={quote(random.choice(POOL['searches']))}",
            "GET /api/v1/patients?q= (search)",
        )

    @task(1)
    def checkout(self):
        visit = take("checkout")
        if visit is None:
            return
        invoice = self.api(
            "POST",
            "/api/v1/billing/invoices",
            "POST /api/v1/billing/invoices (open)",
            {
                "patient": visit["patient"],
                "location": visit["location"],
                "appointment": visit["id"],
            },
        )
        if invoice is None:
            return
        path = f"/api/v1/billing/invoices/{invoice['id']}"
        invoice = self.api(
            "POST",
            f"{path}/services",
            "POST /api/v1/billing/invoices/{id}/services",
            {"service": visit["service"]},
        )
        if invoice is None:
            return
        self.api(
            "POST",
            f"{path}/payments",
            "POST /api/v1/billing/invoices/{id}/payments",
            {"method": "cash", "amount": invoice["balance"]},
        )


class Injector(StaffUser):
    weight = 1
    wait_time = between(2, 5)
    token = POOL["tokens"]["injector"]

    @task
    def chart(self):
        visit = take("charting")
        if visit is None:
            return
        checked = self.api(
            "POST",
            f"/api/v1/scheduling/appointments/{visit}/check-in",
            "POST /api/v1/scheduling/appointments/{id}/check-in",
        )
        if checked is None:
            return
        record = self.api(
            "POST",
            "/api/v1/treatments/records",
            "POST /api/v1/treatments/records (start)",
            {"appointment": visit, "product": "botox_cosmetic"},
        )
        if record is None:
            return
        points = [
            {"area": "glabellar", "x": f"0.{4 + k % 3}", "y": "0.3", "units": "4"} for k in range(5)
        ]
        self.api(
            "POST",
            f"/api/v1/treatments/records/{record['id']}/draft",
            "POST /api/v1/treatments/records/{id}/draft",
            {"points": points, "notes_before": "Moderate glabellar lines at maximum frown."},
        )
        self.api(
            "POST",
            "/api/v1/treatments/check",
            "POST /api/v1/treatments/check (dose guard)",
            {
                "product": "botox_cosmetic",
                "record": record["id"],
                "points": [{"area": "glabellar", "units": "20"}],
            },
        )
