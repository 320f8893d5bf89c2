"""A local HTTP server that answers Twilio's Messages API as Twilio documents it, so the official
`twilio` library is exercised end to end without reaching the internet.

POST /2010-04-01/Accounts/{AccountSid}/Messages.json: HTTP Basic auth with the account SID and
auth token (else 401, error 20003), a form-encoded body with `To` (E.164, else 400 with error
21211) and `From` or `MessagingServiceSid` (else 400, error 21606) and `Body`; answered 201 with
the Message resource (`sid` SM + 32 hex, `status` "accepted" when sent through a Messaging
Service, `messaging_service_sid`, `to`, `body`, `num_segments`, ...). Errors have Twilio's shape:
`{"code", "message", "more_info", "status"}`. `fail_next(n, status)` answers the next n requests
with a server error (e.g. 503, error 20503), as an outage would. Every request is kept in
`requests`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PATH = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@dataclass
class Seen:
    path: str
    params: dict
    headers: dict


@dataclass
class TwilioState:
    account_sid: str
    auth_token: str
    requests: list[Seen] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class TwilioError(Exception):
    def __init__(self, status: int, code: int, message: str):
        self.status = status
        self.body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }


class Handler(BaseHTTPRequestHandler):
    state: TwilioState  # set on the class by TwilioServer

    def log_message(self, *args) -> None:  # quiet
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        params = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        with self.state.lock:
            self.state.requests.append(Seen(self.path, params, dict(self.headers.items())))
            try:
                if self.state.failures:
                    status = self.state.failures.pop(0)
                    raise TwilioError(status, 20000 + status, "Service Unavailable")
                status, answer = 201, self._create(params)
            except TwilioError as error:
                status, answer = error.status, error.body
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", f"RQ{secrets.token_hex(16)}")
        self.end_headers()
        self.wfile.write(data)

    def _create(self, params: dict) -> dict:
        found = PATH.fullmatch(self.path.split("?", 1)[0])
        if found is None:
            raise TwilioError(404, 20404, f"The requested resource {self.path} was not found")
        expected = base64.b64encode(
            f"{self.state.account_sid}:{self.state.auth_token}".encode()
        ).decode()
        if (
            self.headers.get("Authorization") != f"Basic {expected}"
            or found.group(1) != self.state.account_sid
        ):
            raise TwilioError(401, 20003, "Authenticate")
        if not str(self.headers.get("Content-Type", "")).startswith(
            "application/x-www-form-urlencoded"
        ):
            raise TwilioError(400, 20001, "Send a form-encoded body.")
        to = params.get("To", "")
        if not E164.fullmatch(to):
            raise TwilioError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        service = params.get("MessagingServiceSid", "")
        if not params.get("From") and not service:
            raise TwilioError(
                400, 21606, "A 'From' phone number or a 'MessagingServiceSid' is required."
            )
        if not params.get("Body"):
            raise TwilioError(400, 21602, "Message body is required.")
        now = formatdate(usegmt=True)
        sid = f"SM{secrets.token_hex(16)}"
        return {
            "account_sid": self.state.account_sid,
            "api_version": "2010-04-01",
            "body": params["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": params.get("From"),
            "messaging_service_sid": service or None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.state.account_sid}/Messages/{sid}/Media.json"
            },
            "to": to,
            "uri": f"/2010-04-01/Accounts/{self.state.account_sid}/Messages/{sid}.json",
        }


class TwilioServer:
    """`with TwilioServer(sid, token) as server:` serves on 127.0.0.1 at `server.base`."""

    def __init__(self, account_sid: str, auth_token: str):
        self.state = TwilioState(account_sid, auth_token)
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def requests(self) -> list[Seen]:
        return self.state.requests

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self.state.lock:
            self.state.failures.extend([status] * count)

    def __enter__(self) -> TwilioServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
