"""Backups of the whole database to one file, and their restore (`glabella backup`,
`glabella restore`).

SQLite is copied page by page with its online backup API (`sqlite3.Connection.backup`), while
the clinic keeps working; PostgreSQL with `pg_dump --format=custom`, restored by
`pg_restore --clean --if-exists` in one transaction. Neither path deletes rows one by one, so the
triggers that refuse DELETE on signed tables and on the access log do not stand in the way:
SQLite's copy replaces pages, PostgreSQL's restore drops and recreates the tables.

The file: a first line `GLABELLA-BACKUP 1`, a line of JSON (database kind, whether encrypted,
when, the migrations applied), then the dump. Encrypted with a key from BACKUP_KEY (32 bytes,
URL-safe base64, as `glabella backup --new-key` prints), the dump is AES-256-GCM in chunks of
1 MiB, each sealed with its number and a last-chunk mark, so a cut or altered file is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

MAGIC = b"GLABELLA-BACKUP 1\n"
CHUNK = 1 << 20
NONCE_PREFIX = 8


class BackupError(Exception):
    """A backup or restore that cannot go on, with what to do about it."""


# ---------------------------------------------------------------- the key


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def read_key(raw: str | None) -> bytes | None:
    if raw is None or not raw.strip():
        return None
    try:
        key = base64.urlsafe_b64decode(raw.strip().encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise BackupError(
            "BACKUP_KEY is not a key of ours: 32 bytes in URL-safe base64 "
            "(make one with `glabella backup --new-key`)."
        )
    return key


def _encrypt(source, target, key: bytes, header: bytes) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead, prefix = AESGCM(key), os.urandom(NONCE_PREFIX)
    target.write(prefix)
    number, block = 0, source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        nonce = prefix + struct.pack(">I", number)
        sealed = aead.encrypt(nonce, block, header + struct.pack(">I?", number, last))
        target.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        number, block = number + 1, following


def _decrypt(source, target, key: bytes, header: bytes) -> None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead, prefix = AESGCM(key), source.read(NONCE_PREFIX)
    number = 0
    while True:
        size = source.read(4)
        if len(size) != 4 or len(prefix) != NONCE_PREFIX:
            raise BackupError("The backup file is cut short: it cannot be restored.")
        sealed = source.read(struct.unpack(">I", size)[0])
        nonce = prefix + struct.pack(">I", number)
        for last in (False, True):
            try:
                block = aead.decrypt(nonce, sealed, header + struct.pack(">I?", number, last))
                break
            except InvalidTag:
                continue
        else:
            raise BackupError(
                "The backup cannot be decrypted with this BACKUP_KEY (a different key, or the "
                "file was altered)."
            )
        target.write(block)
        if last:
            if source.read(1):
                raise BackupError("The backup file has data after its end: it was altered.")
            return
        number += 1


# ---------------------------------------------------------------- the state of the schema


def applied_migrations(using: str = "default") -> list[list[str]]:
    recorder = MigrationRecorder(connections[using])
    return sorted([app, name] for app, name in recorder.applied_migrations())


def restore_refusal(backup: list[list[str]], current: list[list[str]]) -> str | None:
    """Why a backup may not go into a database in the state `current`, or None: the database
    must not hold a migration the backup lacks (it is newer: its data would be thrown back to an
    older schema the code no longer reads). An empty or older database takes it, and
    `glabella migrate` brings it up to the code afterwards."""
    newer = sorted(set(map(tuple, current)) - set(map(tuple, backup)))
    if newer:
        names = ", ".join(f"{app}.{name}" for app, name in newer[:5])
        more = f" and {len(newer) - 5} more" if len(newer) > 5 else ""
        return (
            f"This database is newer than the backup (it has {names}{more}). Restore into a new, "
            "empty database (or one as old as the backup), then run `glabella migrate`."
        )
    return None


# ---------------------------------------------------------------- backup


def backup(path: Path, *, key: bytes | None = None) -> dict:
    """Writes the whole database to `path` (encrypted when a key is given); returns the header."""
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups cover SQLite and PostgreSQL, not {vendor}.")
    header = {
        "database": vendor,
        "encrypted": key is not None,
        "made_at": timezone.now().isoformat(),
        "migrations": applied_migrations(),
    }
    line = json.dumps(header, sort_keys=True).encode() + b"\n"
    path = Path(path)
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / "dump"
        if vendor == "sqlite":
            _sqlite_dump(dump)
        else:
            _pg(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump)], dbname=True)
        partial = path.with_name(path.name + ".partial")
        # Only the account that runs glabella may read a backup: it holds every patient's record.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as target, open(dump, "rb") as source:
            target.write(MAGIC + line)
            if key is None:
                shutil.copyfileobj(source, target, CHUNK)
            else:
                _encrypt(source, target, key, MAGIC + line)
        partial.replace(path)  # a file at `path` is always a whole backup
    return header


def _sqlite_dump(target: Path) -> None:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)  # page by page, while others keep writing
    finally:
        copy.close()


def _pg(args: list[str], *, dbname: bool) -> None:
    settings = connection.settings_dict
    env = {**os.environ}
    for setting, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if settings.get(setting):
            env[variable] = str(settings[setting])
    if dbname:
        args = [*args, "--dbname", settings["NAME"]]
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} is not installed: install the PostgreSQL client tools.")
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()[-2000:]}")


# ---------------------------------------------------------------- restore


def read_header(path: Path) -> tuple[dict, bytes]:
    try:
        with open(path, "rb") as source:
            magic = source.read(len(MAGIC))
            line = source.readline(1 << 20)
    except OSError as exc:
        raise BackupError(f"The backup file cannot be read: {exc.strerror}.") from None
    if magic != MAGIC:
        raise BackupError("This is not a glabella backup file.")
    try:
        header = json.loads(line)
        if not isinstance(header, dict) or "database" not in header:
            raise ValueError
    except ValueError:
        raise BackupError("The backup file's header is damaged: it cannot be restored.") from None
    return header, MAGIC + line


@contextmanager
def _plain_dump(path: Path, key: bytes | None):
    header, raw = read_header(path)
    if header.get("encrypted") and key is None:
        raise BackupError("This backup is encrypted: set BACKUP_KEY to the key it was made with.")
    with tempfile.TemporaryDirectory() as work, open(path, "rb") as source:
        source.seek(len(raw))
        dump = Path(work) / "dump"
        with open(dump, "wb") as target:
            if header.get("encrypted"):
                _decrypt(source, target, key, raw)
            else:
                shutil.copyfileobj(source, target, CHUNK)
        yield header, dump


def restore(path: Path, *, key: bytes | None = None) -> dict:
    """Puts the database back as it was in the backup at `path`; refuses (BackupError, nothing
    changed) a file it cannot read or decrypt, another kind of database, or a database newer
    than the backup."""
    with _plain_dump(Path(path), key) as (header, dump):
        if header["database"] != connection.vendor:
            raise BackupError(
                f"This backup is of a {header['database']} database; this one is "
                f"{connection.vendor}."
            )
        why = restore_refusal(header.get("migrations", []), applied_migrations())
        if why:
            raise BackupError(why)
        if connection.vendor == "sqlite":
            _sqlite_restore(dump)
        else:
            connections.close_all()  # no session of ours holds a lock on a table it drops
            _pg(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--exit-on-error",
                    str(dump),
                ],
                dbname=True,
            )
    return header


def _sqlite_restore(dump: Path) -> None:
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        ok = source.execute("PRAGMA integrity_check").fetchone()
        if not ok or ok[0] != "ok":
            raise BackupError("The backup's database is damaged: it cannot be restored.")
        connection.ensure_connection()
        source.backup(connection.connection)  # pages, not rows: no trigger sees a DELETE
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The backup's database cannot be read: {exc}.") from None
    finally:
        source.close()
