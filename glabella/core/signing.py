"""Re-authentication to sign: a signer types their password or their own signing PIN at the
moment of signing, and the signing services refuse to write without the proof it gives.

`prove(actor, secret)` checks the secret for that person and returns a `SigningProof`: bound to
their account, sealed with the site's secret key (so it is made here only) and good for
`PROOF_SECONDS`. Every signing service (a candidacy decision, locking a chart or an amendment, a
co-signature) calls `require(actor, proof)` before it writes anything. Wrong secrets are counted
per account (`core.Attempt`); after `MAX_WRONG` in `WINDOW_SECONDS` signing is paused for that
account until the window passes. Every wrong secret and every refusal while paused writes an
access-log row; a right one is named in the signature's own row (`signed_with`).

A management command acts for the operator at the server, who already holds the database:
`command_proof` gives a proof to an actor of the command channel only (the demo's history).

The words a signature means are the `statement`: "Signed by Dana Ruiz, NP: <what it attests>",
shown above the secret's field and stored on the signed record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, Throttled, ValidationFailed
from glabella.core.models import Attempt, SigningPin
from glabella.core.throttle import digest

FIELD = "secret"
PROOF_SECONDS = 120  # the check and the signature happen in one request; a little slack
MAX_WRONG = 5
WINDOW_SECONDS = 600  # within the throttle sweep's window (THROTTLE_*: 600 s by default)
MAX_SECRET = 128  # longer is not a password of ours: refused before any hashing
PIN_PATTERN = re.compile(r"\d{4,8}")
SCOPE = "signing:wrong"
COMMAND = "command"

ASK = "Enter your signing PIN or your password to sign."
WRONG = "That PIN or password is not yours: nothing was signed."
PAUSED = (
    "Too many wrong tries: signing is paused for your account for up to 10 minutes. "
    "Nothing was signed."
)


@dataclass(frozen=True)
class SigningProof:
    """That this person typed their secret just now; made by `prove` or `command_proof`."""

    user_id: int | None
    method: str  # "pin", "password" or "command"
    issued_at: datetime
    seal: str

    @property
    def words(self) -> str:
        return {"pin": "signing PIN", "password": "password"}.get(self.method, "server command")


@dataclass(frozen=True)
class TypedSecret:
    """A PIN or password as typed on a page or sent to the API, for the signing service to
    check (`require`) once it knows the signer may sign at all: a 403 comes before a 422."""

    secret: object = field(repr=False)


def typed(secret: object) -> TypedSecret:
    return TypedSecret(secret)


def _seal(user_id, method: str, issued_at: datetime) -> str:
    message = f"{user_id}|{method}|{issued_at.isoformat()}"
    return salted_hmac("glabella.core.signing", message, algorithm="sha256").hexdigest()


def _issue(user_id, method: str, now: datetime) -> SigningProof:
    return SigningProof(user_id, method, now, _seal(user_id, method, now))


def _refused(message: str = ASK) -> ValidationFailed:
    return ValidationFailed({FIELD: [message]}, "Nothing was signed: re-enter your secret.")


def _paused() -> Throttled:
    exc = Throttled(PAUSED, field=FIELD)
    exc.extra = {"fields": {FIELD: [PAUSED]}}  # the API's error shape names the field too
    return exc


def wrong_tries(user, now: datetime) -> int:
    since = now - timedelta(seconds=WINDOW_SECONDS)
    return Attempt.objects.filter(scope=SCOPE, key=digest(str(user.pk)), at__gt=since).count()


def prove(actor: Actor, secret: object) -> SigningProof:
    """Checks the signer's PIN or password; the proof, or a refusal on the `secret` field (422
    when wrong or missing, 429 once paused). Every check is logged; a wrong one is counted.
    The proof's time is the wall clock's, whatever time a service is told to sign at."""
    if actor.staff is None or actor.saved_user is None:
        raise Forbidden("Only a staff member signs.")
    now = timezone.now()
    user = actor.saved_user
    if not isinstance(secret, str) or not secret.strip():
        raise _refused()
    if len(secret) > MAX_SECRET:
        raise _refused(WRONG)
    if wrong_tries(user, now) >= MAX_WRONG:
        _log(actor, "paused", now)
        raise _paused()
    method = None
    pin = SigningPin.objects.filter(staff=actor.staff).first()
    if pin is not None and PIN_PATTERN.fullmatch(secret) and check_password(secret, pin.pin_hash):
        method = "pin"
    elif check_password(secret, user.password):  # no rehash on save here: a read-only check
        method = "password"
    if method is None:
        with write_transaction():
            Attempt.objects.create(scope=SCOPE, key=digest(str(user.pk)), at=now)
            _log(actor, "wrong", now, tries=wrong_tries(user, now))
        raise _refused(WRONG)
    # A right secret writes nothing here (the signature's own audit row says how it was
    # signed); it clears the wrong tries before it.
    wrong = Attempt.objects.filter(scope=SCOPE, key=digest(str(user.pk)))
    if wrong.exists():
        with write_transaction():
            wrong.delete()
    return _issue(user.pk, method, now)


def _log(actor: Actor, outcome: str, now: datetime, **more) -> None:
    def write():
        audit.record(
            actor,
            audit.Action.READ,
            audit.Kind.SIGNING_CHECK,
            actor.staff.public_id,
            detail={"outcome": outcome, **more},
        )

    if outcome == "paused":
        with write_transaction():
            write()
    else:
        write()


def command_proof(actor: Actor) -> SigningProof:
    """The proof a management command signs with (the operator at the server, not a page nor
    the API): refused to every other channel."""
    if actor.channel != COMMAND:
        raise Forbidden("Only a command run at the server signs without a PIN or password.")
    return _issue(getattr(actor.saved_user, "pk", None), COMMAND, timezone.now())


def require(actor: Actor, proof: object) -> SigningProof:
    """What every signing service asks before it writes: a secret typed for this signing
    (checked here), or a proof made here for this signer just now (on the wall clock). Anything
    else is refused on the `secret` field and nothing is written."""
    now = timezone.now()
    if isinstance(proof, TypedSecret):
        return prove(actor, proof.secret)  # checked now, outside the signature's transaction
    if not isinstance(proof, SigningProof):
        raise _refused()
    if not constant_time_compare(proof.seal, _seal(proof.user_id, proof.method, proof.issued_at)):
        raise _refused()
    if proof.method == COMMAND:
        if actor.channel != COMMAND:
            raise _refused()
    elif proof.user_id is None or proof.user_id != getattr(actor.saved_user, "pk", None):
        raise _refused()
    age = (now - proof.issued_at).total_seconds()
    if not -PROOF_SECONDS <= age <= PROOF_SECONDS:
        raise _refused("The check of your PIN or password has run out: enter it again.")
    return proof


def statement(signer, words: str) -> str:
    """What a signature means, in the words shown at signing and kept on the record."""
    return f"Signed by {signer}: {words}"


# ---- the PIN a staff member sets for themselves


def _weak(pin: str) -> bool:
    steps = {int(b) - int(a) for a, b in pairwise(pin)}
    return len(set(pin)) == 1 or steps in ({1}, {-1})


def set_pin(actor: Actor, *, pin: object, again: object, password: object) -> SigningPin:
    """Sets (or replaces) the signer's PIN: 4 to 8 digits, not one digit repeated nor a straight
    run, typed twice, and the account's password to confirm it is them."""
    if actor.staff is None or actor.saved_user is None:
        raise Forbidden("Only a staff member sets a signing PIN.")
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        errors["pin"] = ["Choose 4 to 8 digits."]
    elif _weak(pin):
        errors["pin"] = ["Choose digits that are not all the same nor a straight run like 1234."]
    elif pin != again:
        errors["again"] = ["The two PINs differ: type the same PIN twice."]
    user = actor.saved_user
    if wrong_tries(user, now) >= MAX_WRONG:
        raise _paused()
    right = (
        isinstance(password, str)
        and 0 < len(password) <= MAX_SECRET
        and check_password(password, user.password)
    )
    if not right:
        errors["password"] = ["That is not your password."]
        if isinstance(password, str) and password:
            with write_transaction():
                Attempt.objects.create(scope=SCOPE, key=digest(str(user.pk)), at=now)
                _log(actor, "wrong", now, tries=wrong_tries(user, now), setting_pin=True)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        found, created = SigningPin.objects.update_or_create(
            staff=actor.staff, defaults={"pin_hash": make_password(pin), "set_at": now}
        )
        audit.record(
            actor,
            audit.Action.CREATE if created else audit.Action.UPDATE,
            audit.Kind.SIGNING_PIN,
            actor.staff.public_id,
        )
    return found


def has_pin(staff) -> bool:
    return staff is not None and SigningPin.objects.filter(staff=staff).exists()
