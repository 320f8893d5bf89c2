"""Benchmark: making the PDFs a patient receives (issue 21: fpdf2 with DejaVu Sans embedded).

    .venv/bin/python bench/pdfs.py [--database sqlite|postgres]

Builds its own database (`glabella_bench_pdfs`, fresh, migrated: the clinic's name for the
footer is read from it) and times, 25 runs after 3 to warm up, the two documents made most: the
neuromodulator consent as signed (two pages, a drawn signature, in English and in Spanish) and a
one-page text such as a receipt's. The fonts are read afresh for each document, as they are when
a patient signs. The last lines: pdf <document> p50 <a> ms, p95 <b> ms, <size> bytes.
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import fresh_database, percentile  # noqa: E402

RUNS = 25
WARM = 3


def timed(make) -> tuple[float, float, int]:
    times, size = [], 0
    for i in range(WARM + RUNS):
        start = time.perf_counter()
        size = len(make())
        if i >= WARM:
            times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50), percentile(times, 95), size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = fresh_database(args.database, args.pg_url, "glabella_bench_pdfs")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from glabella.core.language import speaking
    from glabella.core.pdf import Pages
    from glabella.demo.spanish_consents import SPANISH
    from glabella.screening.consent_texts import NEUROMODULATOR
    from glabella.screening.pdf import ConsentRecord, render

    stroke = [[[100 + i * 8, 400 + (i % 7) * 30] for i in range(90)]]

    def consent(title: str, body: str, lang: str) -> bytes:
        record = ConsentRecord(
            clinic="Conejo Valley Aesthetics",
            title=title,
            version=1,
            body=body,
            patient_name="María José Núñez",
            birth_date="1984-09-03",
            typed_name="María José Núñez",
            method="drawn",
            strokes=stroke,
            signed_at=datetime(2026, 12, 1, 18, 30, tzinfo=UTC),
            ip="127.0.0.1",
            via="link",
            text_sha256="0" * 64,
            consent_id="bench",
        )
        with speaking(lang):
            return render(record)

    def one_page() -> bytes:
        pages = Pages("Receipt 1001", "Invoice 1001")
        pages.text("Nguyễn Thị Minh", font="F2", size=12)
        for _ in range(12):
            pages.text("BOTOX Cosmetic, 20 units at $14.00: $280.00", gap=2)
        return pages.bytes()

    rows = {
        "consent (English)": lambda: consent(*NEUROMODULATOR, "en"),
        "consent (Spanish)": lambda: consent(*SPANISH["neuromodulator"], "es"),
        "one page": one_page,
    }
    for name, make in rows.items():
        p50, p95, size = timed(make)
        print(f"pdf {name} p50 {p50:.0f} ms, p95 {p95:.0f} ms, {size:,} bytes")


if __name__ == "__main__":
    main()
