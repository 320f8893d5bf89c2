"""What other apps do when a patient's report is recorded, without aftercare knowing them.

outcomes registers `after_report(report, now)` in its AppConfig.ready (the day-14 answer "the
effect shows" is the onset it records); `_record` calls every hook inside its transaction.
"""

from collections.abc import Callable
from datetime import datetime

_after_report: list[Callable[[object, datetime], None]] = []


def register_after_report(action: Callable[[object, datetime], None]) -> None:
    if action not in _after_report:
        _after_report.append(action)


def after_report(report, now: datetime) -> None:
    for action in _after_report:
        action(report, now)
