"""What other apps do when a treatment record is signed, without treatments knowing them.

aftercare registers `after_treatment(record, now)` in its AppConfig.ready; `lock` calls every
hook inside its transaction, so the instructions and check-ins are written with the record.
"""

from collections.abc import Callable
from datetime import datetime

_after_lock: list[Callable[[object, datetime], None]] = []


def register_after_lock(action: Callable[[object, datetime], None]) -> None:
    if action not in _after_lock:
        _after_lock.append(action)


def after_lock(record, now: datetime) -> None:
    for action in _after_lock:
        action(record, now)
