"""A hot standby of the local PostgreSQL cluster, on another port, for the replica tests.

`Standby.start(primary)` takes a base backup of the running cluster with the low-level backup
API (`pg_backup_start` and `pg_backup_stop`, over an ordinary connection), copies its data
directory into a temporary one (of the databases, only the one it connects to and the system's
own: the cluster may hold others' large databases, whose WAL the standby then replays onto no
pages, `ignore_invalid_pages`), and starts a second postmaster there as a standby that restores
every WAL segment from the primary's own `pg_wal` directory, again and again as it grows, so it
replays the primary's commits within a fraction of a second. A temporary replication slot, held by
the set-up's connection, keeps those segments from being recycled while the standby needs them;
it goes when the connection does, whatever happens to the test run.

Why not `pg_basebackup -X stream`: the streaming protocol needs a `replication` line in the
primary's pg_hba.conf, and the tests change nothing in the primary's configuration. Reading the
primary's WAL files needs no such line, only that the standby runs on the same machine as the
primary's operating-system user (root hands the work to `postgres` through `runuser`).
`stop()` stops the standby (immediate shutdown) and deletes its directory.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

PREFIX = "glabella-standby-"
# What pg_basebackup leaves out of a copy: a running server's own files and transient state.
SKIPPED_FILES = {"postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map"}
EMPTIED_DIRS = {
    "pg_wal",
    "pg_replslot",
    "pg_dynshmem",
    "pg_notify",
    "pg_serial",
    "pg_snapshots",
    "pg_stat_tmp",
    "pg_subtrans",
}
# Settings a hot standby may not hold below the primary's.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


class StandbyUnavailable(RuntimeError):
    """The machine cannot run a standby of this cluster (says why)."""


def free_port(first: int = 5433, last: int = 5499) -> int:
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        if not Path(f"/var/run/postgresql/.s.PGSQL.{port}").exists():
            return port
    raise StandbyUnavailable(f"no free port between {first} and {last}")


@dataclass
class Standby:
    primary_dsn: str
    port: int = 0
    directory: Path | None = None
    keeper: psycopg.Connection | None = None  # holds the temporary slot
    _as_postgres: list[str] = field(default_factory=list)
    took: dict[str, float] = field(default_factory=dict)  # seconds per step, for failures

    # -- set-up ---------------------------------------------------------------------------

    @classmethod
    def start(cls, primary_dsn: str, timeout: float = 120) -> Standby:
        standby = cls(primary_dsn)
        try:
            standby._start(timeout)
        except BaseException:
            standby.stop()
            raise
        return standby

    def _start(self, timeout: float) -> None:
        if os.geteuid() == 0:
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        elif pwd.getpwuid(os.geteuid()).pw_name != "postgres":
            raise StandbyUnavailable("a standby of the local cluster needs root or postgres")
        self.keeper = psycopg.connect(self.primary_dsn, autocommit=True)
        row = self.keeper.execute(
            "SELECT current_setting('data_directory'), current_setting('server_version_num')::int,"
            " current_setting('wal_level'), current_setting('is_superuser')"
        ).fetchone()
        data, version, wal_level, superuser = row
        if superuser != "on" or wal_level == "minimal":
            raise StandbyUnavailable("the primary needs a superuser and wal_level replica")
        source = Path(data)
        if any((source / "pg_tblspc").iterdir()):
            raise StandbyUnavailable("the primary has tablespaces; a copy would share them")
        binaries = Path(f"/usr/lib/postgresql/{version // 10000}/bin")
        if not (binaries / "pg_ctl").exists():
            raise StandbyUnavailable(f"no pg_ctl in {binaries}")
        matched = {
            name: self.keeper.execute(f"SELECT current_setting('{name}')").fetchone()[0]
            for name in MATCHED_SETTINGS
        }
        _sweep_orphans(self._as_postgres, binaries / "pg_ctl")
        self.directory = Path(tempfile.mkdtemp(prefix=PREFIX))
        (self.directory / "owner.pid").write_text(str(os.getpid()))
        target = self.directory / "data"
        slot = f"glabella_standby_{os.getpid()}"
        self.keeper.execute("SELECT pg_create_physical_replication_slot(%s, true, true)", [slot])
        # The databases the standby serves: the one connected to, and the system's own.
        kept = {
            str(oid)
            for (oid,) in self.keeper.execute(
                "SELECT oid FROM pg_database WHERE datname = current_database()"
                " OR datname IN ('template0', 'template1', 'postgres')"
            )
        }
        began = time.monotonic()
        self.keeper.execute("SELECT pg_backup_start('glabella standby', true)")
        try:
            _copy_data_directory(source, target, kept)
        finally:
            label, spcmap = self.keeper.execute(
                "SELECT labelfile, spcmapfile FROM pg_backup_stop(false)"
            ).fetchone()
        self.took["base backup"] = time.monotonic() - began
        (target / "backup_label").write_text(label)
        if spcmap:
            (target / "tablespace_map").write_text(spcmap)
        (target / "standby.signal").write_text("")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.directory}'",
            "hot_standby": "on",
            "restore_command": f"'cp {source}/pg_wal/%f %p'",
            "wal_retrieve_retry_interval": "'200ms'",
            "hba_file": f"'{target}/pg_hba.conf'",
            "ident_file": f"'{target}/pg_ident.conf'",
            "shared_buffers": "'32MB'",
            "fsync": "off",
            # Other databases of the cluster are not copied: their WAL finds no pages to change.
            "ignore_invalid_pages": "on",
            "logging_collector": "off",
            **matched,
        }
        (target / "postgresql.conf").write_text(
            "".join(f"{name} = {value}\n" for name, value in settings.items())
        )
        (target / "postgresql.auto.conf").write_text("")
        (target / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        (target / "pg_ident.conf").write_text("")
        if self._as_postgres:
            owner = pwd.getpwnam("postgres")
            for path in [self.directory, *self.directory.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid, follow_symlinks=False)
        target.chmod(0o700)
        self.pg_ctl = binaries / "pg_ctl"
        for _attempt in range(3):  # another run may take the same free port first
            self.port = free_port(first=self.port + 1 if self.port else 5433)
            result = subprocess.run(  # noqa: S603 (the cluster's own pg_ctl, our arguments)
                [
                    *self._as_postgres,
                    str(self.pg_ctl),
                    "-D",
                    str(target),
                    "-l",
                    str(self.directory / "server.log"),
                    "-o",
                    f"-p {self.port}",
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "start",
                ],
                capture_output=True,
                text=True,
                timeout=timeout + 10,
                check=False,
            )
            if result.returncode == 0 or "already in use" not in self.log():
                break
        if result.returncode != 0:
            raise StandbyUnavailable(
                f"the standby did not start ({self.took}): {result.stdout}{result.stderr}"
                f"{self.log()}"
            )
        self.took["start"] = time.monotonic() - began - self.took["base backup"]
        self.caught_up(timeout)

    # -- while it runs --------------------------------------------------------------------

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def log(self) -> str:
        path = self.directory / "server.log" if self.directory else None
        return path.read_text(errors="replace")[-3000:] if path and path.exists() else ""

    def caught_up(self, timeout: float = 60) -> None:
        """Waits until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary_dsn, autocommit=True) as primary:
            target = primary.execute("SELECT pg_current_wal_flush_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=5) as standby:
                    done = standby.execute(
                        "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
                    ).fetchone()[0]
                    if done:
                        return
            except psycopg.OperationalError as exc:
                last = exc
            time.sleep(0.05)
        raise StandbyUnavailable(
            f"the standby did not catch up in {timeout} s ({last}; {self.took}) {self.log()}"
        )

    # -- tear-down ------------------------------------------------------------------------

    def stop(self) -> None:
        target = self.directory / "data" if self.directory else None
        if target is not None and (target / "postmaster.pid").exists():
            subprocess.run(  # noqa: S603 (the cluster's own pg_ctl, our arguments)
                [
                    *self._as_postgres,
                    str(self.pg_ctl),
                    "-D",
                    str(target),
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "30",
                    "stop",
                ],
                capture_output=True,
                timeout=40,
                check=False,
            )
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        if self.keeper is not None:
            self.keeper.close()  # the temporary slot goes with its session
            self.keeper = None


def _sweep_orphans(as_postgres: list[str], pg_ctl: Path) -> None:
    """Stops and deletes the standbys of test runs that died without their tear-down (killed):
    left running, each would keep copying WAL segments."""
    for directory in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((directory / "owner.pid").read_text())
            os.kill(owner, 0)
            continue  # its run is alive
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            if time.time() - directory.stat().st_mtime < 600:
                continue  # being made just now, or not ours to judge yet
        if (directory / "data" / "postmaster.pid").exists():
            subprocess.run(  # noqa: S603 (the cluster's own pg_ctl, our arguments)
                [
                    *as_postgres,
                    str(pg_ctl),
                    "-D",
                    str(directory / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                timeout=40,
                check=False,
            )
        shutil.rmtree(directory, ignore_errors=True)


def _copy_data_directory(source: Path, target: Path, databases: set[str]) -> None:
    """A copy of a running cluster's files, as pg_basebackup takes it, but of the `databases`
    (their OIDs) alone: files that vanish during the copy (a table dropped meanwhile) are
    skipped; WAL replay makes the copy consistent."""
    target.mkdir(mode=0o700)
    for root, dirs, files in os.walk(source):
        here = Path(root)
        relative = here.relative_to(source)
        into = target / relative
        if relative.parts and relative.parts[0] in EMPTIED_DIRS:
            dirs[:] = []
            continue
        if relative.parts == ("base",):
            dirs[:] = [name for name in dirs if name in databases]
        for name in dirs:
            (into / name).mkdir(mode=0o700, exist_ok=True)
        for name in files:
            if not relative.parts and name in SKIPPED_FILES:
                continue
            try:
                shutil.copy2(here / name, into / name)
            except FileNotFoundError:
                continue
