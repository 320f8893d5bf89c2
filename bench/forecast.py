"""Benchmark: the re-treatment forecast against fixed rules, on synthetic histories whose true
durations are known (glabella/outcomes/synthetic.py; the truth is not the forecast's own model).

    .venv/bin/python bench/forecast.py [--patients 1500] [--seed 1]

The clinic's model is fitted on 70% of the patients; every course of the other 30% is forecast
from that model and the patient's own earlier courses, and compared with its true duration.
Printed: the mean absolute error of the forecast, of fixed 90- and 120-day rules and of each
product's typical duration; the error at a first visit and for returning patients; the share of
true durations inside the 80% interval; the fitted coefficients. The last line:
forecast MAE <x> d; best fixed rule MAE <y> d; improvement <z>%; 80% interval coverage <c>%
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from glabella.outcomes import evaluate, synthetic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    data = synthetic.generate(args.patients, seed=args.seed)
    observed = sum(o.course.lasted_days is not None for o in data)
    print(
        f"{args.patients:,} synthetic patients, {len(data):,} treated areas "
        f"({observed:,} with the wear-off observed, {len(data) - observed:,} censored), "
        f"seed {args.seed}"
    )
    scores = evaluate.evaluate(data, seed=args.seed)
    _days, rule_mae = scores.best_rule
    for days, mae in scores.rule_mae.items():
        print(f"fixed {days}-day rule: MAE {mae:.1f} d")
    print(f"each product's typical duration, nothing learnt: MAE {scores.typical_mae:.1f} d")
    print(
        f"forecast over {scores.predictions:,} held-out courses: MAE {scores.forecast_mae:.1f} d "
        f"(first visit {scores.first_visit_mae:.1f} d, returning {scores.returning_mae:.1f} d)"
    )
    model = scores.model
    print(
        f"fitted on {model.courses:,} courses of {model.patients:,} patients: between patients "
        f"sd {model.tau2**0.5:.3f}, visit to visit sd {model.sigma2**0.5:.3f} (log days)"
    )
    print(
        "coefficients (log days): "
        + ", ".join(f"{k} {v:+.3f}" for k, v in model.coefficients().items())
    )
    print(f"took {time.perf_counter() - started:.1f} s")
    print(
        f"forecast MAE {scores.forecast_mae:.1f} d; best fixed rule MAE {rule_mae:.1f} d; "
        f"improvement {scores.improvement * 100:.1f}%; "
        f"80% interval coverage {scores.coverage * 100:.1f}%"
    )


if __name__ == "__main__":
    main()
