"""What the benchmarks share: a fresh database of their own, and percentiles."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_database(kind: str, pg_url: str, name: str) -> str:
    """A new empty database called `name` (var/<name>.sqlite3 or a PostgreSQL database)."""
    if kind == "sqlite":
        path = ROOT / "var" / f"{name}.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return pg_url.rsplit("/", 1)[0] + f"/{name}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def staff_client(user):
    """A test client signed in as the staff `user`, past the second factor: the session is
    marked with the user's authenticator as django-otp's `login` marks it after a code."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
