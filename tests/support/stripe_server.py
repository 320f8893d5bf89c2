"""A local HTTP server that answers the Stripe API requests glabella makes, as Stripe documents
them, so the official `stripe` library is exercised end to end without reaching the internet.

It checks what Stripe checks for these endpoints: the method and path, the
`Authorization: Bearer <secret key>` header, a form-encoded body (`a[b][c]=v`, lists as
`a[0]`) with the parameters each endpoint requires, and `Idempotency-Key` (the same key
answers the first response again, errors included, and the key reused with other parameters
is an `idempotency_error`, as Stripe's idempotency layer does). It answers Stripe's documented
objects and error shape (`{"error": {"type", "code", "message", ...}}`, 402 for a card error,
400 for a bad request, 401 for a bad key, 404 for an unknown object). Every request is kept in
`requests` for the tests to read.

Endpoints: POST /v1/customers, POST /v1/checkout/sessions (mode payment or setup),
GET /v1/payment_intents/<id> and GET /v1/setup_intents/<id> (expand[]=payment_method),
POST /v1/payment_intents (customer, payment_method, off_session=true, confirm=true),
POST /v1/refunds (payment_intent, an optional amount defaulting to what is left, metadata:
Stripe's Refund object; a charge refunded in full is refused with `charge_already_refunded`,
an amount above what is left of the charge with Stripe's "greater than unrefunded amount"
message on `amount`). A payment method named "pm_card_chargeDeclined" is declined, as Stripe's
test card of that name is. `lose_answers` makes the next answers of a path vanish after the
request was carried out (a connection cut before the answer came back), and
`refund_outside` refunds part of a charge as Stripe's own dashboard would.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
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
    refunds: dict = field(default_factory=dict)  # id: Refund
    refunded: dict = field(default_factory=dict)  # payment intent id: cents given back
    lose: dict = field(default_factory=dict)  # path: how many answers to drop
    lock: threading.Lock = field(default_factory=threading.Lock)
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
        with self.state.lock:  # one request at a time, as one idempotency layer would
            try:
                if self.headers.get("Authorization") != f"Bearer {self.state.api_key}":
                    raise StripeError(401, "invalid_request_error", "Invalid API Key provided.")
                if method == "POST" and not str(self.headers.get("Content-Type", "")).startswith(
                    "application/x-www-form-urlencoded"
                ):
                    raise StripeError(400, "invalid_request_error", "Send a form-encoded body.")
                earlier = self.state.by_key.get((method, parts.path, key)) if key else None
                if earlier is not None:
                    if earlier[0] != params:
                        raise StripeError(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            f"parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                        )
                    status, answer = earlier[1], earlier[2]
                else:
                    status, answer = 200, self._route(method, parts.path, params)
                    if key and method == "POST":
                        self.state.by_key[(method, parts.path, key)] = (params, status, answer)
            except StripeError as error:
                status, answer = error.status, error.body
                if (
                    key
                    and method == "POST"
                    and error.body["error"]["type"] != ("idempotency_error")
                ):
                    self.state.by_key[(method, parts.path, key)] = (params, status, answer)
            if self.state.lose.get(parts.path, 0) > 0:
                self.state.lose[parts.path] -= 1
                self.close_connection = True
                return  # carried out, but the answer never leaves
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
        if (method, path) == ("POST", "/v1/refunds"):
            return self._refund(params)
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
            "latest_charge": _id("ch"),
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

    def _refund(self, params: dict) -> dict:
        """Stripe's "Create a refund" for a PaymentIntent: never more than is left of its
        charge."""
        _require(params, "payment_intent")
        intent = self.state.intents.get(params["payment_intent"])
        if intent is None:
            raise StripeError(
                404,
                "invalid_request_error",
                f"No such payment_intent: '{params['payment_intent']}'",
                param="payment_intent",
                code="resource_missing",
            )
        left = intent["amount"] - self.state.refunded.get(intent["id"], 0)
        if left <= 0:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Charge {intent['latest_charge']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = left
        if "amount" in params:
            try:
                amount = int(params["amount"])
            except ValueError:
                amount = 0
            if amount < 1:
                raise StripeError(
                    400,
                    "invalid_request_error",
                    "Invalid positive integer",
                    param="amount",
                    code="parameter_invalid_integer",
                )
        if amount > left:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount on "
                f"charge (${left / 100:.2f})",
                param="amount",
            )
        return _record_refund(self.state, intent, amount, _nested(params, "metadata"))

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


def _record_refund(state: StripeState, intent: dict, amount: int, metadata: dict) -> dict:
    """A refund of `amount` cents of the intent's charge, as Stripe's Refund object."""
    refund = {
        "id": _id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": _id("txn"),
        "charge": intent["latest_charge"],
        "created": int(time.time()),
        "currency": intent["currency"],
        "destination_details": {"type": "card", "card": {"type": "refund"}},
        "metadata": metadata,
        "payment_intent": intent["id"],
        "reason": None,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    state.refunds[refund["id"]] = refund
    state.refunded[intent["id"]] = state.refunded.get(intent["id"], 0) + amount
    return refund


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

    @property
    def refunds(self) -> list[dict]:
        """The refunds Stripe made, oldest first."""
        return list(self.state.refunds.values())

    def lose_answers(self, path: str, count: int = 1) -> None:
        """The next `count` requests to `path` are carried out but never answered."""
        self.state.lose[path] = count

    def refund_outside(self, intent_id: str, amount: int) -> dict:
        """A refund made in Stripe's own dashboard, which glabella never hears of."""
        with self.state.lock:
            return _record_refund(self.state, self.state.intents[intent_id], amount, {})

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
                "latest_charge": _id("ch"),
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
