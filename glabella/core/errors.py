"""Domain errors: what a service raises when it cannot do what was asked, in words people act on.

Adapters map them once: ValidationFailed to 422 (field by field), NotFound to 404, Conflict to 409,
Forbidden to 403, Throttled to 429; the API in core/api.py, pages in core/pages.py.
"""


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}  # more for the caller to act on, e.g. alternative times


def describe(exc: DomainError) -> str:
    """An error in one line for a page's message: its field messages, else its message."""
    fields = getattr(exc, "fields", None) or {}
    return " ".join(m for messages in fields.values() for m in messages) or exc.message


class ValidationFailed(DomainError):
    """Input that breaks a rule, field by field; nothing was written."""

    status = 422
    code = "validation_error"

    def __init__(
        self, fields: dict[str, list[str]], message: str = "Please correct the fields shown."
    ):
        super().__init__(message)
        self.fields = fields


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Throttled(DomainError):
    """Too many tries in a short time from one email or address; nothing was done."""

    status = 429
    code = "throttled"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
