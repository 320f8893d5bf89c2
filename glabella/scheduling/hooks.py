"""What other apps ask of a booking, without scheduling knowing them.

An app further down the house plan (screening) registers a prerequisite in its AppConfig.ready:
a callable (service, patient, start) that raises ValidationFailed when that patient may not be
booked for that service at that time. Booking and moving a booking call every one of them.
"""

from collections.abc import Callable
from datetime import datetime

Prerequisite = Callable[[object, object, datetime], None]
AfterBooking = Callable[[object, datetime], None]
_prerequisites: list[Prerequisite] = []
_after_booking: list[AfterBooking] = []


def register_prerequisite(check: Prerequisite) -> None:
    if check not in _prerequisites:
        _prerequisites.append(check)


def check_all(service, patient, start: datetime) -> None:
    for check in _prerequisites:
        check(service, patient, start)


def register_after_booking(action: AfterBooking) -> None:
    """`action(appointment, now)` runs inside the booking's transaction, after it is written
    (screening sends the forms link for a consultation)."""
    if action not in _after_booking:
        _after_booking.append(action)


def after_booking(appointment, now: datetime) -> None:
    for action in _after_booking:
        action(appointment, now)
