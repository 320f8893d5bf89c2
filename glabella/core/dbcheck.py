"""Exits 0 when the database in DATABASE_URL answers, 1 (with the reason) when it does not."""

import sys


def main() -> int:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    try:
        django.setup()
        from django.db import connection

        connection.ensure_connection()
    except Exception as exc:  # any failure to connect means "not there"
        print(
            f"database check: {exc.__class__.__name__}: {str(exc).strip()[:200]}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
