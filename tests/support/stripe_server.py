"""A local HTTP server that answers the Stripe API requests glabella makes, as Stripe documents
them, so the official `stripe` library is exercised end to end without reaching the internet.

It checks what Stripe checks for these endpoints: the method and path, the
`Authorization: Bearer <secret key>` header, a form-encoded body (`a[b][c]=v`, lists as
`a[0]`) with the parameters each endpoint requires, and `Idempotency-Key` (the same key
answers the same response, once). It answers Stripe's documented objects and error shape
(`{"error": {"type", "code", "message", ...}}`, 402 for a card error, 400 for a bad request,
401 for a bad key). Every request is kept in `requests` for the tests to read.

Endpoints: POST /v1/customers, POST /v1/checkout/sessions (mode payment or setup),
GET /v1/payment_intents/<id> and GET /v1/setup_intents/<id> (expand[]=payment_method),
POST /v1/payment_intents (customer, payment_method, off_session=true, confirm=true). A payment
method named "pm_card_chargeDeclined" is declined, as Stripe's test card of that name is.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

DECLINED = "pm_card_chargeDeclined"


@dataclass
class Seen:
    method: str
    path: str
    params: dict
    headers: dict


@dataclass
class StripeState:
    api_key: str
    requests: list[Seen] = field(default_factory=list)
    sessions: dict = field(default_factory=dict)
    intents: dict = field(default_factory=dict)
    setups: dict = field(default_factory=dict)
    by_key: dict = field(default_factory=dict)
    card: dict = field(
        default_factory=lambda: {
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2034,
        }
    )


def _id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(8)}"


class StripeError(Exception):
    def __init__(self, status: int, kind: str, message: str, **extra):
        self.status = status
        self.body = {"error": {"type": kind, "message": message, **extra}}


def _require(params: dict, *names: str) -> None:
    for name in names:
        if not params.get(name):
            raise StripeError(
                400,
                "invalid_request_error",
                f"Missing required param: {name}.",
                param=name,
                code="parameter_missing",
            )


class Handler(BaseHTTPRequestHandler):
    state: StripeState  # set on the class by `serve`

    def log_message(self, *args) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = dict(parse_qsl(parts.query if method == "GET" else body, keep_blank_values=True))
        seen = Seen(method, parts.path, params, dict(self.headers.items()))
        self.state.requests.append(seen)
        key = self.headers.get("Idempotency-Key")
        try:
            if self.headers.get("Authorization") != f"Bearer {self.state.api_key}":
                raise StripeError(401, "invalid_request_error", "Invalid API Key provided.")
            if method == "POST" and not str(self.headers.get("Content-Type", "")).startswith(
                "application/x-www-form-urlencoded"
            ):
                raise StripeError(400, "invalid_request_error", "Send a form-encoded body.")
            if key and (method, parts.path, key) in self.state.by_key:
                status, answer = self.state.by_key[(method, parts.path, key)]
            else:
                status, answer = 200, self._route(method, parts.path, params)
        except StripeError as error:
            status, answer = error.status, error.body
        if key and method == "POST":
            self.state.by_key[(method, parts.path, key)] = (status, answer)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", _id("req"))
        self.end_headers()
        self.wfile.write(data)

    def _route(self, method: str, path: str, params: dict) -> dict:
        if (method, path) == ("POST", "/v1/customers"):
            return {
                "id": _id("cus"),
                "object": "customer",
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": _nested(params, "metadata"),
            }
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            return self._session(params)
        if (method, path) == ("POST", "/v1/payment_intents"):
            return self._charge(params)
        if method == "GET" and path.startswith("/v1/payment_intents/"):
            return self._expanded(self.state.intents, path, params)
        if method == "GET" and path.startswith("/v1/setup_intents/"):
            return self._expanded(self.state.setups, path, params)
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({path}).")

    def _session(self, params: dict) -> dict:
        _require(params, "mode", "success_url")
        mode = params["mode"]
        if mode == "payment":
            _require(
                params,
                "line_items[0][price_data][currency]",
                "line_items[0][price_data][unit_amount]",
                "line_items[0][price_data][product_data][name]",
                "line_items[0][quantity]",
            )
        elif mode == "setup":
            _require(params, "currency")
        else:
            raise StripeError(400, "invalid_request_error", "Invalid mode.", param="mode")
        session_id = _id("cs")
        quantity = int(params.get("line_items[0][quantity]") or 0)
        unit = int(params.get("line_items[0][price_data][unit_amount]") or 0)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": mode,
            "status": "open",
            "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
            "customer": params.get("customer"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": _nested(params, "metadata"),
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "currency": params.get("line_items[0][price_data][currency]") or params.get("currency"),
            "amount_total": unit * quantity if mode == "payment" else None,
            "payment_intent": None,
            "setup_intent": None,
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "setup_future_usage": params.get("payment_intent_data[setup_future_usage]"),
        }
        self.state.sessions[session_id] = session
        return session

    def _charge(self, params: dict) -> dict:
        _require(params, "amount", "currency", "customer", "payment_method")
        if params.get("off_session") != "true" or params.get("confirm") != "true":
            raise StripeError(400, "invalid_request_error", "Expected off_session and confirm.")
        intent = {
            "id": _id("pi"),
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "customer": params["customer"],
            "payment_method": params["payment_method"],
            "metadata": _nested(params, "metadata"),
            "status": "succeeded",
        }
        if params["payment_method"] == DECLINED:
            intent["status"] = "requires_payment_method"
            raise StripeError(
                402,
                "card_error",
                "Your card was declined.",
                code="card_declined",
                decline_code="generic_decline",
                payment_intent=intent,
            )
        self.state.intents[intent["id"]] = intent
        return intent

    def _expanded(self, store: dict, path: str, params: dict) -> dict:
        found = store.get(path.rsplit("/", 1)[-1])
        if found is None:
            raise StripeError(
                404, "invalid_request_error", "No such intent.", code="resource_missing"
            )
        answer = dict(found)
        if "payment_method" in [v for k, v in params.items() if k.startswith("expand[")]:
            answer["payment_method"] = {
                "id": found["payment_method"],
                "object": "payment_method",
                "type": "card",
                "card": dict(self.state.card),
            }
        return answer


def _nested(params: dict, name: str) -> dict:
    prefix = f"{name}["
    return {k[len(prefix) : -1]: v for k, v in params.items() if k.startswith(prefix)}


class StripeServer:
    """The server on a free port of 127.0.0.1, in a thread; `base` is its address."""

    def __init__(self, api_key: str):
        self.state = StripeState(api_key=api_key)
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StripeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def requests(self) -> list[Seen]:
        return self.state.requests

    def complete(self, session_id: str, payment_method: str = "pm_card_visa") -> dict:
        """What Stripe does when the patient finishes its page: the session complete, with a
        succeeded payment intent (mode payment) or setup intent (mode setup) for the card."""
        session = self.state.sessions[session_id]
        if session["mode"] == "payment":
            intent = {
                "id": _id("pi"),
                "object": "payment_intent",
                "amount": session["amount_total"],
                "currency": session["currency"],
                "customer": session["customer"],
                "payment_method": payment_method,
                "status": "succeeded",
                "setup_future_usage": session["setup_future_usage"],
            }
            self.state.intents[intent["id"]] = intent
            session.update(status="complete", payment_status="paid", payment_intent=intent["id"])
        else:
            intent = {
                "id": _id("seti"),
                "object": "setup_intent",
                "customer": session["customer"],
                "payment_method": payment_method,
                "status": "succeeded",
                "usage": "off_session",
            }
            self.state.setups[intent["id"]] = intent
            session.update(status="complete", setup_intent=intent["id"])
        return dict(session)
