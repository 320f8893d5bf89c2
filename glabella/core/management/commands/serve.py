"""glabella serve: the production web server, gunicorn running glabella.wsgi in this process.

Workers default to two per CPU this process may use, plus one, at most MAX_DEFAULT_WORKERS
(each holds a database connection); --workers or WEB_CONCURRENCY sets the number. The address
comes from --bind or GLABELLA_BIND (127.0.0.1:8000; the image sets 0.0.0.0:8000). The access
log goes to standard output, errors to standard error. SIGTERM stops it gracefully: no new
connections, requests in flight are given GRACEFUL_SECONDS to finish. See decision 0045.
"""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication

from glabella.config import env_int, env_str

DEFAULT_BIND = "127.0.0.1:8000"
MAX_DEFAULT_WORKERS = 16
TIMEOUT_SECONDS = 60  # a worker silent this long is killed and replaced
GRACEFUL_SECONDS = 30  # on SIGTERM or a worker restart, time given to requests in flight
KEEPALIVE_SECONDS = 5  # longer than most proxies' idle wait between two requests
MAX_REQUESTS = 2000  # each worker is replaced after about this many requests (slow leaks)
MAX_REQUESTS_JITTER = 200  # ... give or take, so that they are not all replaced at once


def default_workers() -> int:
    """Two per CPU this process may run on, plus one (gunicorn's advice), capped."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(2 * cpus + 1, MAX_DEFAULT_WORKERS)


def gunicorn_options(bind: str, workers: int, timeout: int) -> dict:
    """The gunicorn settings `glabella serve` runs with."""
    options = {
        "bind": [bind],
        "workers": workers,
        "worker_class": "sync",
        "timeout": timeout,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": KEEPALIVE_SECONDS,
        "max_requests": MAX_REQUESTS,
        "max_requests_jitter": MAX_REQUESTS_JITTER,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "glabella",
        # Loaded once before the workers fork: a broken start stops the server at once, and the
        # workers share the loaded code's memory.
        "preload_app": True,
        # Two servers on one machine would otherwise share $HOME/.gunicorn/gunicorn.ctl.
        "control_socket_disable": True,
    }
    # Workers' heartbeat files in memory, not on a container's overlay disk (gunicorn's advice).
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):  # noqa: S108
        options["worker_tmp_dir"] = "/dev/shm"  # noqa: S108
    return options


class GlabellaServer(BaseApplication):
    """gunicorn's documented way to embed it: settings from `options`, the app from glabella."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for name, value in self.options.items():
            if name in self.cfg.settings:  # an older gunicorn lacks the newest settings
                self.cfg.set(name, value)

    def load(self):
        from glabella.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve glabella with gunicorn (production); SIGTERM stops it gracefully."

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default=None,
            help=f"host:port or unix:PATH to listen on (GLABELLA_BIND, else {DEFAULT_BIND})",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="web worker processes (WEB_CONCURRENCY, else 2 per CPU + 1, "
            f"at most {MAX_DEFAULT_WORKERS})",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=TIMEOUT_SECONDS,
            help=f"seconds before a silent worker is replaced (default {TIMEOUT_SECONDS})",
        )

    def handle(self, *args, bind=None, workers=None, timeout=TIMEOUT_SECONDS, **options):
        bind = (bind or env_str("GLABELLA_BIND", "").strip() or DEFAULT_BIND).strip()
        if workers is None:
            try:
                workers = env_int("WEB_CONCURRENCY", default_workers(), minimum=1, maximum=256)
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from None
        if workers < 1:
            raise CommandError(f"--workers must be at least 1 (got {workers}).")
        if timeout < 1:
            raise CommandError(f"--timeout must be at least 1 second (got {timeout}).")
        # The system checks may have connected; a connection must not cross the fork.
        connections.close_all()
        GlabellaServer(gunicorn_options(bind, workers, timeout)).run()
