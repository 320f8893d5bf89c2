"""Peer benchmark: glabella's free-slot search beside django-appointment's, on one schedule.

    .venv/bin/python bench/peers/run.py

Makes bench/peers/.venv with django-appointment from PyPI (bench/peers/requirements.txt) the first
time, writes one provider's schedule (schedule.py), loads it into each system's own SQLite
database, and times, for each: one provider-day's free slots, and every free slot over the next
60 days (django-appointment answers a day at a time, so its side asks 61 days in turn). Prints
both and the ratios.
"""

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"


def run(*command: str) -> str:
    # Our own interpreters and scripts, no outside input.
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    return done.stdout.strip()


def main():
    python = str(VENV / "bin" / "python")
    if not (VENV / "bin" / "python").exists():
        run(sys.executable, "-m", "venv", str(VENV))
        run(python, "-m", "pip", "install", "--quiet", "-r", str(HERE / "requirements.txt"))
    spec = HERE.parent.parent / "var" / "bench-peers-schedule.json"
    spec.parent.mkdir(exist_ok=True)
    run(sys.executable, str(HERE / "schedule.py"), str(spec), date.today().isoformat())
    ours = json.loads(run(sys.executable, str(HERE / "ours.py"), str(spec)).splitlines()[-1])
    theirs = json.loads(run(python, str(HERE / "theirs.py"), str(spec)).splitlines()[-1])
    print(f"schedule: one provider, {ours['appointments']:,} appointments (two years and 60 days)")
    for name, r in (("glabella", ours), ("django-appointment 3.12.0", theirs)):
        print(
            f"  {name:26} provider-day ({r['day']}): {r['day_slots']} slots in "
            f"{r['day_ms']:.2f} ms; 60 days: {r['sixty_slots']} slots in {r['sixty_ms']:.1f} ms"
        )
    day = theirs["day_ms"] / ours["day_ms"]
    sixty = theirs["sixty_ms"] / ours["sixty_ms"]
    print(f"ratio (django-appointment / glabella): provider-day {day:.1f}x, 60 days {sixty:.1f}x")


if __name__ == "__main__":
    main()
