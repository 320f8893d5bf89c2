"""Schemathesis against the whole API, as a client with a staff token would call it.

    .venv/bin/python bench/api_fuzz.py --database sqlite [--examples 25]
    .venv/bin/python bench/api_fuzz.py --database postgres [--postgres-url URL] [--name NAME]

Builds a fresh database (var/<name>.sqlite3, or the PostgreSQL database <name>; the name is
glabella_bench_api_fuzz unless given) with the demo clinic (`glabella demo-data`), issues an API
token to the demo medical director (`ApiToken.issue`: the role that may call every operation),
loads /api/openapi.json from the app itself (WSGI, in this process: no server to start) and
runs every operation with `--examples` generated cases each (hypothesis; schemathesis's
positive and negative data), anonymous operations included. Each response is checked by
not_a_server_error, status_code_conformance, response_schema_conformance and
response_headers_conformance, one at a time, so a failure is counted against its own check.

The public API's rate limit is raised for the run (it would answer 429 after 120 calls a
minute, which is declared, but it would hide the operations behind it).

Prints the figures: operations, cases, failures per check, and each distinct failure (the
operation, the check, the status and the first line of what schemathesis said). Exit status 1
when any check failed.
"""

import argparse
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database

CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--name", default="glabella_bench_api_fuzz")
    parser.add_argument("--examples", type=int, default=25, help="Cases per operation")
    parser.add_argument("--patients", type=int, default=20, help="Demo patients")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="", help="Run operations whose path holds this")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = fresh_database(args.database, args.postgres_url, args.name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    os.environ.setdefault("THROTTLE_PUBLIC_API", "1000000/60")
    os.environ.setdefault("THROTTLE_ADDRESS", "1000000/60")
    os.environ.setdefault("THROTTLE_EMAIL", "1000000/60")
    os.environ.setdefault("LOG_LEVEL", "CRITICAL")
    os.environ.setdefault("EMAIL_BACKEND", "locmem")

    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)  # each 4xx is logged as a warning; errors still show
    logging.getLogger("glabella").setLevel(logging.ERROR)
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command(
        "demo-data",
        patients=args.patients,
        seed=args.seed,
        history_days=60,
        verbosity=0,
        quiet_logins=True,
    )
    print(f"demo clinic ready in {time.perf_counter() - started:.0f} s", flush=True)
    return fuzz(args)


def known_ids() -> dict[str, list[str]]:
    """Real ids from the demo clinic by the path they go in, so that generated cases reach past
    the 404 of a random id into what each operation does."""
    from glabella.aftercare.check_ins import check_in_token
    from glabella.aftercare.models import AdverseEvent, Alert, CheckIn
    from glabella.clinic.models import Location
    from glabella.inventory.models import Lot, Vial
    from glabella.patients.models import Patient
    from glabella.scheduling.models import Appointment
    from glabella.treatments.models import TreatmentRecord

    def ids(model, n=5, **filters):
        rows = model.objects.filter(**filters).order_by("-pk")[:n]
        return [str(r) for r in rows.values_list("public_id", flat=True)]

    return {
        "/patients/{public_id}": ids(Patient),
        "/screening/patients/{public_id}": ids(Patient),
        "/outcomes/patients/{public_id}": ids(Patient),
        "/clinic/locations/{public_id}": ids(Location),
        "/appointments/{public_id}": ids(Appointment),
        "/treatments/records/{public_id}": ids(TreatmentRecord),
        "/outcomes/treatments/{public_id}": ids(TreatmentRecord, locked_at__isnull=False),
        "/stock/vials/{public_id}": ids(Vial),
        "/stock/lots/{public_id}": ids(Lot),
        "/alerts/{public_id}": ids(Alert),
        "/adverse-events/{public_id}": ids(AdverseEvent),
        "/check-ins/{token}": [
            check_in_token(c) for c in CheckIn.objects.filter(status=CheckIn.Status.SCHEDULED)[:5]
        ],
    }


def fuzz(args) -> int:
    import schemathesis
    from django.contrib.auth import get_user_model
    from django.core.wsgi import get_wsgi_application
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from glabella.core import tokens
    from glabella.core.access import system_actor
    from glabella.demo.clinic import DEMO_DOMAIN

    checks = {
        "not_a_server_error": not_a_server_error,
        "status_code_conformance": status_code_conformance,
        "response_schema_conformance": response_schema_conformance,
        "response_headers_conformance": response_headers_conformance,
    }
    director = get_user_model().objects.get(username=f"director@{DEMO_DOMAIN}")
    token = tokens.issue(
        system_actor("api fuzz"),
        director.staff,
        "api fuzz",
        tokens.scope_for(director.staff, tokens.WRITE),
        None,
    )[1]
    headers = {"Authorization": f"Bearer {token}"}

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if args.only and args.only not in operation.path:
            continue
        operations.append(operation)

    cases = 0
    statuses: Counter = Counter()
    failures: Counter = Counter()
    distinct: dict[tuple, str] = {}
    per_operation: dict[str, int] = defaultdict(int)
    started = time.perf_counter()

    real = known_ids()

    def strategy_for(operation):
        """Valid and invalid data (schemathesis's positive and negative modes), and the same
        with a real id in the path where the demo clinic has one."""
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
        for tail, values in real.items():
            name = tail.rsplit("{", 1)[1].rstrip("}")
            if values and tail in operation.path:
                for mode in modes:
                    strategies += [
                        operation.as_strategy(generation_mode=mode, path_parameters={name: v})
                        for v in values
                    ]
        return st.one_of(strategies)

    def make_run(operation, label):
        @settings(
            max_examples=args.examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy_for(operation))
        def run(case):
            nonlocal cases
            cases += 1
            per_operation[label] += 1
            response = case.call(headers=headers)
            statuses[response.status_code // 100 * 100] += 1
            for name, check in checks.items():
                try:
                    case.validate_response(response, checks=[check], headers=headers)
                except (Exception, BaseExceptionGroup) as exc:  # counted; the run goes on
                    failures[name] += 1
                    first = str(exc).strip().splitlines()
                    key = (label, name, response.status_code, first[0] if first else "")
                    distinct.setdefault(key, str(exc)[:1500])

        return run

    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        make_run(operation, label)()
        print(f"  {label}: {per_operation[label]} cases", flush=True)

    seconds = time.perf_counter() - started
    print()
    print(f"database: {args.database}; {args.examples} examples per operation")
    print(f"operations: {len(operations)}")
    print(f"cases: {cases} in {seconds:.0f} s")
    print("responses: " + ", ".join(f"{k // 100}xx {v}" for k, v in sorted(statuses.items())))
    for name in CHECK_NAMES:
        print(f"{name}: {failures[name]} failures")
    if distinct:
        print("\ndistinct failures:")
        for (label, name, status, first), text in sorted(distinct.items()):
            print(f"- {label} [{name}] {status}: {first}")
            if os.environ.get("FUZZ_VERBOSE"):
                print(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
