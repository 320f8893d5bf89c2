"""Each request's id, on its response and on every log line written while it is served; and the
log's two formats, plain text (development) and one JSON object a line (LOG_FORMAT=json).

`RequestIdMiddleware` takes the caller's X-Request-ID when it is sane (1 to 64 characters of
letters, digits and `-_.:`: what proxies and load balancers send, a UUID among them), else makes
a new one (32 hex digits), and answers with it in X-Request-ID. The id lives in a context
variable until the response is finished, so `RequestIdFilter` puts it on every record logged
meanwhile, whichever logger wrote it; outside a request it is "-".
"""

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.core.signals import request_finished

HEADER = "X-Request-ID"
SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
NONE = "-"

current: ContextVar[str] = ContextVar("request_id", default=NONE)


def accepted(value: str | None) -> str:
    """The caller's id when it is sane, else a fresh one."""
    if value and SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = accepted(request.headers.get(HEADER))
        current.set(request.request_id)
        response = self.get_response(request)
        response[HEADER] = request.request_id
        return response


def forget(**kwargs) -> None:
    """Clears the id when the response is done (request_finished): Django logs a 4xx or 5xx
    answer after the middleware has returned, and that line still carries the id."""
    current.set(NONE)


request_finished.connect(forget, dispatch_uid="glabella.request_id.forget")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get()
        return True


class QuietProbes(logging.Filter):
    """Drops the development server's line for each answered health check or scrape: a load
    balancer asks every few seconds, and those lines would bury the rest."""

    PATHS = ("GET /healthz ", "GET /metrics ")

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) >= 400:
            return True
        request = record.args[0] if isinstance(record.args, tuple) and record.args else ""
        return not (isinstance(request, str) and request.startswith(self.PATHS))


# Attributes every LogRecord has; anything else on a record was passed in `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request id, the
    exception's traceback if any, and whatever simple values were passed in `extra=`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current.get()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and isinstance(value, str | int | float | bool | None):
                line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
