"""One provider's schedule, written as JSON for both sides of the peer benchmark.

Monday to Saturday 08:30-17:00 in America/Los_Angeles (one interval a day: django-appointment
has one per weekday), 30-minute visits on the half hour, two years of history nearly full and the
coming 60 days filling less the further away. Pure Python, so both virtual environments read the
same file.
"""

import json
import random
import statistics
import sys
import time as time_module
from datetime import date, datetime, time, timedelta
from pathlib import Path

OPENS, CLOSES = time(8, 30), time(17, 0)


def build(today: date, seed: int = 1) -> dict:
    rng = random.Random(seed)
    visits = []
    day = today - timedelta(days=730)
    while day <= today + timedelta(days=60):
        ahead = (day - today).days
        chance = 0.95 if ahead < 0 else 0.95 * max(0.0, 1 - ahead / 60) ** 1.5
        if day.weekday() < 6:
            t = datetime.combine(day, OPENS)
            while t + timedelta(minutes=30) <= datetime.combine(day, CLOSES):
                if rng.random() < chance:
                    visits.append(t.isoformat())
                t += timedelta(minutes=30)
        day += timedelta(days=1)
    return {
        "zone": "America/Los_Angeles",
        "today": today.isoformat(),
        "opens": OPENS.isoformat(),
        "closes": CLOSES.isoformat(),
        "weekdays": [0, 1, 2, 3, 4, 5],
        "minutes": 30,
        "visits": visits,  # local wall-clock starts
    }


def timed(fn, runs: int) -> float:
    """Median milliseconds of `runs` calls."""
    out = []
    for _ in range(runs):
        started = time_module.perf_counter()
        fn()
        out.append((time_module.perf_counter() - started) * 1000)
    return statistics.median(out)


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(build(date.fromisoformat(sys.argv[2]))))
