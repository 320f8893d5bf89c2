"""The minute-by-minute upkeep every app asks for, and the list the scheduler runs.

Each app registers its own jobs in its AppConfig.ready (`register(name, job)`); the scheduler
(`messaging.delivery.tick`, one run a minute) calls every registered job with `now`, in the order
the apps registered them, and reports each job's count under its name. Core knows no app's jobs.
"""

from collections.abc import Callable
from datetime import datetime

Job = Callable[[datetime], int]

# Name -> job, in registration order (INSTALLED_APPS order, since each app registers in ready).
JOBS: dict[str, Job] = {}


def register(name: str, job: Job) -> None:
    """Run `job(now)` once a minute; the name labels its count in the scheduler's report."""
    JOBS[name] = job


def run_all(now: datetime) -> dict[str, int]:
    """One run of every registered job: name -> the count it returned."""
    return {name: job(now) for name, job in JOBS.items()}
