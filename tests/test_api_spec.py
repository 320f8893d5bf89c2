"""The API's spec declares every status code and header it answers with (decision 0026), and a
short schemathesis run over every operation finds no server error and no schema violation.
The long run is bench/api_fuzz.py."""

import time

import pytest
from django.core.wsgi import get_wsgi_application

from glabella.core import errors
from glabella.core.openapi import ERROR_SCHEMA_NAME
from glabella.urls import api
from tests.conftest import issue_token

METHODS = {"get", "post", "put", "patch", "delete"}


def spec() -> dict:
    return api.get_openapi_schema(path_prefix="/api")


def operations():
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _declared(operation: dict) -> set[int]:
    return {int(code) for code in operation["responses"]}


def test_every_operation_declares_its_errors_in_the_error_shape():
    found = list(operations())
    assert len(found) > 50
    for path, method, operation in found:
        declared = _declared(operation)
        label = f"{method.upper()} {path}"
        assert {403, 404, 422, 429} <= declared, label
        if operation.get("security"):
            assert 401 in declared, label
        if "requestBody" in operation:
            assert {400, 413} <= declared, label
        if method != "get":
            assert 409 in declared, label
        for code in declared - {200, 201, 204}:
            content = operation["responses"][code]["content"]["application/json"]
            assert content["schema"]["$ref"].endswith(f"/{ERROR_SCHEMA_NAME}"), (label, code)


def test_429_declares_retry_after():
    for path, method, operation in operations():
        headers = operation["responses"][429]["headers"]
        assert headers["Retry-After"]["required"] is True, (method, path)
        assert headers["Retry-After"]["schema"]["type"] == "integer"


def test_the_error_schema_is_the_handlers_shape():
    schema = spec()["components"]["schemas"][ERROR_SCHEMA_NAME]
    assert schema["required"] == ["error"]
    assert schema["properties"]["error"]["required"] == ["code", "message"]


def test_every_domain_error_status_is_declared():
    """A new kind of refusal with a status the spec does not declare fails here."""

    def kinds(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from kinds(sub)

    statuses = {cls.status for cls in kinds(errors.DomainError)}
    assert statuses >= {403, 404, 409, 422, 429}
    for path, method, operation in operations():
        # A conflict is with a write; a read has nothing to conflict with.
        expected = statuses - {400} - ({409} if method == "get" else set())
        assert expected <= _declared(operation), (method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/scheduling/appointments"),
        ("post", "/api/v1/scheduling/appointments/{public_id}/reschedule"),
    ],
)
def test_the_booking_routes_declare_the_idempotency_key(method, path):
    operation = spec()["paths"][path][method]
    (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key"
    assert header["required"] is False
    assert header["schema"].get("maxLength") == 200 or any(
        s.get("maxLength") == 200 for s in header["schema"].get("anyOf", [])
    )


def test_the_spec_reads_as_valid_openapi():
    import schemathesis

    schema = schemathesis.openapi.from_dict(spec())
    assert len([r.ok() for r in schema.get_all_operations()]) == len(list(operations()))


# A short run here (about 8 cases per operation, on both databases); bench/api_fuzz.py is the
# long one, with the demo clinic's data.
EXAMPLES = 8


@pytest.fixture
def connection_kept_open():
    """Called as a WSGI app, Django closes the connection after each request, which would close
    the test's transaction; Django's test client stops that the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_a_short_schemathesis_run_finds_no_server_error_nor_violation(
    users, patient, connection_kept_open
):
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        response_schema_conformance,
        response_headers_conformance,
    ]
    token = issue_token(users["medical_director"], "spec test")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    failures: list[str] = []
    started = time.perf_counter()
    cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            nonlocal cases
            cases += 1
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{case.method} {case.path}: {str(exc)[:400]}")

        run()
    assert cases >= 100
    assert not failures, "\n".join(failures[:5])
    assert time.perf_counter() - started < 120
