"""Hardening (decision 0026): the client's address, HTTPS in production, no-store, Vary, and the
API's errors always in its JSON shape."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import path

from glabella.core.access import client_ip
from glabella.core.audit import Action, Kind, record
from glabella.core.models import AccessLog
from tests.conftest import issue_token

ROOT = Path(__file__).resolve().parent.parent
# DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests in this process, never in production.
CLEARED = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "BEHIND_HTTPS_PROXY",
    "DATABASE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def production_env(**more) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("SECURE")}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="clinic.example.com",
        BEHIND_HTTPS_PROXY="true",
        GLABELLA_DATA_DIR=str(ROOT / "var" / "deploy-check"),
    )
    env.update(more)
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "-m", "glabella", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr + result.stdout
    # Only the two checks silenced with their reason in settings.py (subdomains, preload).
    assert "(2 silenced)" in result.stdout


def _production_settings(**more) -> dict:
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ('SECURE_SSL_REDIRECT', "
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'TRUSTED_PROXY_HOPS')}))"
    )
    env = production_env(DJANGO_SETTINGS_MODULE="glabella.settings", **more)
    result = subprocess.run(  # noqa: S603 (our own interpreter, a constant script)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_behind_https_in_production_redirects_and_sends_hsts():
    found = _production_settings()
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_HSTS_SECONDS"] == 31_536_000
    assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert found["SESSION_COOKIE_SECURE"] and found["CSRF_COOKIE_SECURE"]
    assert _production_settings(SECURE_HSTS_SECONDS="600")["SECURE_HSTS_SECONDS"] == 600
    # Development (DEBUG on) and a server not behind HTTPS do not redirect.
    assert _production_settings(DEBUG="true")["SECURE_SSL_REDIRECT"] is False
    assert _production_settings(BEHIND_HTTPS_PROXY="false")["SECURE_HSTS_SECONDS"] == 0


@pytest.mark.parametrize(
    ("name", "value"), [("TRUSTED_PROXY_HOPS", "9"), ("TRUSTED_PROXY_HOPS", "0")]
)
def test_proxy_hops_out_of_bounds_stop_start_up(name, value):
    script = "import django; django.setup()"
    result = subprocess.run(  # noqa: S603 (our own interpreter, a constant script)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=production_env(DJANGO_SETTINGS_MODULE="glabella.settings", **{name: value}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert name in result.stderr


@pytest.mark.django_db
@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31_536_000,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_plain_http_is_redirected_and_https_carries_hsts():
    client = Client()
    plain = client.get("/book/")
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    secure = client.get("/book/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"


# ------------------------------------------------------------------ the client's address

FORWARDED = [
    # (X-Forwarded-For, REMOTE_ADDR, hops, expected)
    ("203.0.113.66, 198.51.100.7", "10.0.0.2", 1, "198.51.100.7"),
    ("203.0.113.66, 198.51.100.7", "10.0.0.2", 2, "203.0.113.66"),
    ("198.51.100.7", "10.0.0.2", 2, "10.0.0.2"),  # fewer hops than proxies: not believed
    ("not-an-ip", "10.0.0.2", 1, "10.0.0.2"),
    ("203.0.113.66, not-an-ip", "10.0.0.2", 1, "10.0.0.2"),
    ("fe80::1%eth0", "10.0.0.2", 1, "10.0.0.2"),
    ("1.2.3.4:8080", "10.0.0.2", 1, "10.0.0.2"),
    ("", "10.0.0.2", 1, "10.0.0.2"),
    ("2001:DB8::0001", "10.0.0.2", 1, "2001:db8::1"),
    ("x" * 5000, "10.0.0.2", 1, "10.0.0.2"),
    ("203.0.113.66", "garbage", 1, "203.0.113.66"),
    ("not-an-ip", "garbage", 1, None),
]


@pytest.mark.parametrize(("forwarded", "remote", "hops", "expected"), FORWARDED)
def test_client_ip_believes_only_the_trusted_hop(forwarded, remote, hops, expected):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    with override_settings(USE_X_FORWARDED_FOR=True, TRUSTED_PROXY_HOPS=hops):
        assert client_ip(request) == expected


def test_client_ip_ignores_the_header_unless_told_to():
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="203.0.113.66", REMOTE_ADDR="10.0.0.9")
    with override_settings(USE_X_FORWARDED_FOR=False):
        assert client_ip(request) == "10.0.0.9"


@pytest.mark.django_db
@override_settings(USE_X_FORWARDED_FOR=True, TRUSTED_PROXY_HOPS=1)
def test_a_forged_address_never_reaches_the_access_log_nor_breaks_a_page(client_for, patient):
    client = client_for("front_desk")
    before = AccessLog.objects.count()
    response = client.get(
        f"/staff/patients/{patient.public_id}/",
        headers={"X-Forwarded-For": "not-an-ip"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200
    rows = AccessLog.objects.order_by("-pk")[: AccessLog.objects.count() - before]
    assert rows and {row.ip for row in rows} == {"10.1.2.3"}


# ------------------------------------------------------------------ caching and Vary


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("front_desk", "/staff/patients/"),
        ("injector", "/staff/treatments/"),
        ("patient", "/portal/me/"),
        ("front_desk", "/api/v1/patients?q=grace"),
        ("anonymous", "/book/"),
    ],
)
def test_responses_with_patient_data_are_not_stored(client_for, persona, url):
    response = client_for(persona).get(url)
    assert response.status_code == 200, url
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_static_files_keep_their_cache(client):
    response = client.get("/static/glabella/favicon.svg")  # shipped in core/static
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("front_desk", "/staff/patients/?q=grace"),
        ("front_desk", "/staff/calendar/"),
        ("anonymous", "/book/?location=thousand-oaks&service=consultation"),
    ],
)
def test_pages_that_answer_htmx_with_a_fragment_vary_on_it(client_for, persona, url):
    client = client_for(persona)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert "HX-Request" in response["Vary"], url


# ------------------------------------------------------------------ the API's error shape


def _boom(request):
    raise RuntimeError("an unexpected failure")


@pytest.mark.django_db
def test_an_unexpected_api_error_answers_json_and_is_logged(client_for, monkeypatch, caplog):
    from glabella.patients import api as patients_api

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(patients_api.services, "search_patients", broken)
    client = client_for("front_desk", raise_request_exception=False)
    response = client.get("/api/v1/patients", {"q": "grace"})
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "server_error"
    assert "disk" not in json.dumps(body)
    assert any("the disk is full" in (r.exc_text or "") for r in caplog.records)


@pytest.mark.django_db
def test_unknown_api_paths_and_methods_answer_json(client_for):
    client = client_for("front_desk")
    missing = client.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = client.delete("/api/v1/scheduling/availability")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong["Allow"]


urlpatterns = [path("api/boom/", _boom)]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_an_error_outside_the_api_views_still_answers_json():
    response = Client(raise_request_exception=False).get("/api/boom/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


@pytest.mark.django_db
def test_the_log_keeps_a_valid_address_only(actor_of):
    record(actor_of("front_desk"), Action.READ, Kind.PATIENT, "x")
    assert AccessLog.objects.order_by("-pk").first().ip == "127.0.0.1"


# ------------------------------------------------------------------ public API rate limit


@pytest.mark.django_db
@override_settings(THROTTLE_PUBLIC_API=(3, 60))
def test_the_public_api_is_rate_limited_per_address(client, users):
    url = "/api/v1/clinic/services"
    for _ in range(3):
        assert client.get(url, REMOTE_ADDR="198.51.100.1").status_code == 200
    refused = client.get(url, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another address is not slowed, nor is a signed-in caller from the same one.
    assert client.get(url, REMOTE_ADDR="198.51.100.2").status_code == 200
    token = issue_token(users["front_desk"], "rate test")
    signed_in = client.get(
        "/api/v1/scheduling/appointments",
        REMOTE_ADDR="198.51.100.1",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert signed_in.status_code == 200


@pytest.mark.django_db
def test_the_treatment_note_pdf_is_not_stored(client_for, treated):
    response = client_for("injector").get(f"/staff/treatments/{treated.public_id}/note.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
