"""Bad configuration stops start-up with a message that names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from glabella import config

ROOT = Path(__file__).resolve().parent.parent


def start(**env) -> subprocess.CompletedProcess:
    """Runs `glabella check` with the given environment on top of a clean one."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "EMAIL_BACKEND",
            "EMAIL_PORT",
            "ALLOWED_HOSTS",
        }
    }
    clean["GLABELLA_DATA_DIR"] = str(ROOT / "var" / "config-test")
    return subprocess.run(
        [sys.executable, "-m", "glabella", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_starts_with_no_configuration_at_all():
    result = start()
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_off_with_the_development_secret_refuses_to_start():
    result = start(DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_debug_off_with_a_real_secret_starts():
    result = start(DEBUG="false", SECRET_KEY="s" * 50, ALLOWED_HOSTS="clinic.example.com")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://root@localhost/glabella"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://"}, "DATABASE_URL"),
        ({"EMAIL_BACKEND": "pigeon"}, "EMAIL_BACKEND"),
        ({"EMAIL_PORT": "twenty-five"}, "EMAIL_PORT"),
        ({"DEBUG": "false", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "  "}, "SECRET_KEY"),
        ({"LICENCE_REMINDER_DAYS": "400"}, "LICENCE_REMINDER_DAYS"),
        ({"API_TOKEN_DAYS": "500"}, "API_TOKEN_DAYS"),
        ({"TWO_FACTOR_FOR": "nobody"}, "TWO_FACTOR_FOR"),
        ({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32}, "TWILIO_AUTH_TOKEN"),  # all four or none
        ({"TWILIO_PUBLIC_URL": "clinic.example.com"}, "TWILIO_PUBLIC_URL"),
        ({"SMS_BACKEND": "twilio"}, "SMS_BACKEND"),
    ],
)
def test_bad_configuration_names_the_variable(env, named):
    result = start(**env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured")
    assert named in last_line


def test_sqlite_is_configured_for_queued_writers(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    db = config.database_from_url("DATABASE_URL", tmp_path / "x.sqlite3")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 1


def test_postgres_urls_select_psycopg(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinic")
    db = config.database_from_url("DATABASE_URL", tmp_path / "x.sqlite3")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["NAME"] == "clinic"


@pytest.mark.parametrize("word", ["1", "true", "YES", "on"])
def test_true_words(monkeypatch, word):
    monkeypatch.setenv("SOME_FLAG", word)
    assert config.env_bool("SOME_FLAG", False) is True


def test_numbers_below_their_minimum_are_refused(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "0")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT must be at least 1"):
        config.env_int("EMAIL_PORT", 587, minimum=1)


def test_the_database_check_says_why_a_database_does_not_answer():
    result = subprocess.run(
        [sys.executable, "-m", "glabella.core.dbcheck"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:9/none"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "database check:" in result.stderr and "OperationalError" in result.stderr


def test_the_database_check_passes_for_a_database_that_answers(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "glabella.core.dbcheck"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_passkeys_refuse_an_origin_that_is_not_https():
    # django-otp-webauthn's own check: a passkey over plain http only on localhost.
    result = start(PASSKEY_ORIGINS="http://clinic.example.com")
    assert result.returncode != 0
    assert "otp_webauthn.E031" in result.stderr
