"""Reads glabella's configuration from the environment, refusing bad values by name.

Each helper raises ImproperlyConfigured with the variable's name and what was wrong, so a
misconfigured server stops at start-up with a message an operator can act on.
"""

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_http_url(name: str) -> str:
    """An http(s) address without its trailing slash, or "" when the variable is not set."""
    raw = os.environ.get(name, "").strip().rstrip("/")
    if raw and (not raw.startswith(("https://", "http://")) or not urlsplit(raw).hostname):
        raise ImproperlyConfigured(f"{name} must be an https:// or http:// address (got {raw!r}).")
    return raw


def env_all_or_none(what: str, *names: str) -> bool:
    """True when every one of `names` is set, False when none is; a part of them is refused,
    naming what is missing (a feature half set up would fail later, out of sight)."""
    missing = [n for n in names if not os.environ.get(n, "").strip()]
    if missing and len(missing) < len(names):
        raise ImproperlyConfigured(
            f"For {what} set {', '.join(names)}, or none of them (missing: {', '.join(missing)})."
        )
    return not missing


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (got {raw!r}).")


def env_int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number (got {raw!r}).") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum} (got {value}).")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum} (got {value}).")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str, default: list[str]) -> list:
    """A comma-separated list of IP networks (`10.0.0.0/8`) or single addresses."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be IP networks or addresses separated by commas, e.g. "
                f"127.0.0.1/32,10.0.0.0/8 (got {item!r})."
            ) from None
    return networks


def env_subset(name: str, default: list[str], allowed: list[str]) -> list[str]:
    """A comma-separated list of names, each one of `allowed`."""
    values = env_list(name, default)
    unknown = [v for v in values if v not in allowed]
    if unknown or not values:
        raise ImproperlyConfigured(
            f"{name} must name one or more of {', '.join(allowed)} (got {', '.join(unknown)})."
        )
    return list(dict.fromkeys(values))


def env_mapping(name: str, allowed: list[str]) -> dict[str, str]:
    """Comma-separated `key=value` pairs, each key one of `allowed` (e.g. a product's code)."""
    found: dict[str, str] = {}
    for item in env_list(name, []):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in allowed or not value:
            raise ImproperlyConfigured(
                f"{name} must be pairs like {allowed[0]}=value, separated by commas, each key one "
                f"of {', '.join(allowed)} (got {item!r})."
            )
        found[key] = value
    return found


def env_int_list(name: str, default: list[int], minimum: int | None = None) -> list[int]:
    """A comma-separated list of whole numbers, largest first, without repeats."""
    values = []
    for item in env_list(name, [str(d) for d in default]):
        try:
            value = int(item)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be whole numbers separated by commas (got {item!r})."
            ) from None
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{name} values must be at least {minimum} (got {value}).")
        values.append(value)
    return sorted(set(values), reverse=True)


def env_hour_range(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """Hours of the day as `start-end` (e.g. `20-9`: from 20:00 to 09:00 the next morning)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    match = re.fullmatch(r"(\d{1,2})\s*-\s*(\d{1,2})", raw)
    if not match or not all(0 <= int(h) <= 23 for h in match.groups()):
        raise ImproperlyConfigured(
            f"{name} must be two hours from 0 to 23 as start-end, e.g. 20-9 (got {raw!r})."
        )
    return int(match.group(1)), int(match.group(2))


def env_rate(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """A rate as `uses/seconds` (e.g. `10/600`: ten uses in ten minutes)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+)", raw)
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise ImproperlyConfigured(
            f"{name} must be uses/seconds with both at least 1, e.g. 10/600 (got {raw!r})."
        )
    return int(match.group(1)), int(match.group(2))


def env_choice(name: str, default: str, choices: dict[str, str]) -> str:
    """Returns the value that the variable's word maps to in `choices`."""
    word = os.environ.get(name, "").strip().lower() or default
    if word not in choices:
        allowed = ", ".join(sorted(choices))
        raise ImproperlyConfigured(f"{name} must be one of {allowed} (got {word!r}).")
    return choices[word]


def env_choice_or_path(name: str, default: str, choices: dict[str, str]) -> str:
    """As env_choice, or a dotted path to a class of one's own (e.g. an SMS gateway's backend)."""
    word = os.environ.get(name, "").strip()
    if "." in word:
        return word
    return env_choice(name, default, choices)


def database_from_url(name: str, default_sqlite_path: Path) -> dict:
    """Django's DATABASES['default'] from a URL: SQLite (the default) or PostgreSQL."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        raw = f"sqlite:///{default_sqlite_path}"
    scheme = urlsplit(raw).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"{name} must be a sqlite:/// or postgres:// URL (got scheme {scheme or 'none'!r})."
        )
    try:
        db = dj_database_url.parse(raw)
    except Exception as exc:  # the parser raises several types for malformed URLs
        raise ImproperlyConfigured(f"{name} could not be read: {exc}") from None
    if scheme == "sqlite":
        if not db.get("NAME"):
            raise ImproperlyConfigured(f"{name} names no SQLite file (use sqlite:////path/db).")
        db["OPTIONS"] = {
            # Writers take the lock at BEGIN, so two writers queue instead of failing mid-way.
            "transaction_mode": "IMMEDIATE",
            # Seconds a writer waits for the lock before giving up (SQLite's busy timeout).
            "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20, minimum=1),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # Tests use a file too, not shared-cache memory, so that concurrent tests see SQLite's
        # real locking (the busy timeout does not apply to shared-cache table locks).
        db["TEST"] = {"NAME": str(Path(db["NAME"]).with_suffix(".test.sqlite3"))}
    else:
        if not db.get("NAME"):
            raise ImproperlyConfigured(f"{name} names no PostgreSQL database.")
        _postgres_connections(db)
    db["ATOMIC_REQUESTS"] = False
    return db


def _postgres_connections(db: dict) -> None:
    """How a PostgreSQL alias holds its connections (decision 0048): one kept per thread for
    DATABASE_CONN_MAX_AGE seconds (the default), or a pool of DATABASE_POOL_MIN_SIZE to
    DATABASE_POOL_MAX_SIZE per process shared by its threads; DATABASE_PGBOUNCER says a PgBouncer
    in transaction mode stands between (no server-side cursors: a cursor outlives the
    transaction, and the next one may run on another server connection)."""
    pool_max = env_int("DATABASE_POOL_MAX_SIZE", 0, minimum=0, maximum=1000)
    if pool_max:
        if env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0):
            raise ImproperlyConfigured(
                "DATABASE_CONN_MAX_AGE must be 0 or unset while DATABASE_POOL_MAX_SIZE is set: "
                "the pool keeps the connections."
            )
        db["CONN_MAX_AGE"] = 0  # Django hands the connection back to the pool after each request
        db["OPTIONS"] = {
            **db.get("OPTIONS", {}),
            "pool": {
                "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1, minimum=0, maximum=pool_max),
                "max_size": pool_max,
                # Seconds a thread waits for a free connection before its request fails.
                "timeout": env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1, maximum=600),
                "reset": _reset_pooled,
            },
        }
    else:
        db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    # With the pool: a connection is checked as it is handed out, and a dead one replaced.
    db["CONN_HEALTH_CHECKS"] = True
    db["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_PGBOUNCER", False)


# The access log's maintenance switch (core.db.audit_maintenance): a PostgreSQL custom setting,
# per session. It is named here, below core, because the pool's reset below must close it.
AUDIT_MAINTENANCE_SETTING = "glabella.audit_maintenance"


def _reset_pooled(pg_connection) -> None:
    """psycopg's pool calls this on every connection handed back (the pool's `reset`): the audit
    switch is closed again, whatever the last borrower left, so that no other thread borrows a
    connection that may delete access-log rows."""
    pg_connection.execute("SELECT set_config(%s, '', false)", [AUDIT_MAINTENANCE_SETTING])
    if not pg_connection.autocommit:
        pg_connection.commit()  # the pool discards a connection left inside a transaction


def replica_from_url(name: str, default: dict) -> dict | None:
    """DATABASES['replica'] from a URL (a PostgreSQL standby of the default database), or None
    when the variable is not set. Pooling and PgBouncer settings apply to it as to the default;
    in the tests it mirrors the default database."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not default["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured(f"{name} needs DATABASE_URL to be a postgres:// URL too.")
    if urlsplit(raw).scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"{name} must be a postgres:// URL.")
    replica = database_from_url(name, Path("unused"))
    replica["TEST"] = {"MIRROR": "default"}
    return replica
