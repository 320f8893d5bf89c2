"""Backups (issue 18, point 8): `glabella backup` then `glabella restore` gives back every row of
every table, on SQLite and PostgreSQL, encrypted or not, with the access log's triggers refusing
DELETE; a file that cannot be read or decrypted, or a database newer than the backup, is
refused with a clear message and nothing changed."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from glabella.clinic.models import Service
from glabella.core import audit, backups
from glabella.core.access import system_actor
from glabella.core.models import AccessLog, Attempt
from glabella.patients.models import Patient
from tests.conftest import make_patient

pytestmark = pytest.mark.django_db(transaction=True)


def every_table() -> dict[str, list[str]]:
    """Every row of every table the connection's introspection lists, in a stable order."""
    quote = connection.ops.quote_name
    seen = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 (a table name of ours)
            seen[table] = sorted(repr(row) for row in cursor.fetchall())
    return seen


# The access log's own triggers (core migration 0007) refuse DELETE, and TRUNCATE on PostgreSQL.
NEVER_REMOVED = "access log rows are never removed"


def change_everything(patient):
    """Adds, changes and deletes rows in several tables."""
    make_patient(given_name="Added", email="added@example.com")
    Patient.objects.filter(pk=patient.pk).update(given_name="Changed")
    Service.objects.filter(slug="consultation").update(name="Renamed")
    Attempt.objects.filter(scope="test:a").delete()
    Attempt.objects.filter(scope="test:b").update(key="c" * 64)
    audit.record(system_actor("test"), audit.Action.READ, audit.Kind.OUTBOX)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_backup_then_restore_gives_back_every_table(tmp_path, monkeypatch, patient, encrypted):
    from django.utils import timezone

    for scope in ("test:a", "test:b"):
        Attempt.objects.create(scope=scope, key="a" * 64, at=timezone.now())
    audit.record(system_actor("test"), audit.Action.READ, audit.Kind.OUTBOX)
    if encrypted:
        monkeypatch.setenv("BACKUP_KEY", backups.new_key())
    else:
        monkeypatch.delenv("BACKUP_KEY", raising=False)
    before = every_table()
    file = tmp_path / "clinic.backup"
    call_command("backup", str(file))
    header, _ = backups.read_header(file)
    assert header["encrypted"] is encrypted and header["database"] == connection.vendor
    if encrypted:
        assert b"Holloway" not in file.read_bytes()
    change_everything(patient)
    with pytest.raises(Exception, match=NEVER_REMOVED), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_accesslog")  # the trigger is there and refuses
    assert every_table() != before
    call_command("restore", str(file), "--noinput")
    after = every_table()
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table
    assert AccessLog.objects.count() == len(before["core_accesslog"])
    with pytest.raises(Exception, match=NEVER_REMOVED), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_accesslog")  # restored with the schema, trigger too


def test_only_the_account_that_made_a_backup_may_read_it(tmp_path, monkeypatch, clinic):
    # It holds every patient's record, encrypted or not.
    monkeypatch.delenv("BACKUP_KEY", raising=False)
    file = tmp_path / "clinic.backup"
    call_command("backup", "--plain", str(file))
    assert file.stat().st_mode & 0o777 == 0o600


def test_a_file_that_cannot_be_read_or_decrypted_is_refused(tmp_path, monkeypatch, clinic):
    monkeypatch.setenv("BACKUP_KEY", backups.new_key())
    file = tmp_path / "clinic.backup"
    call_command("backup", str(file))
    before = every_table()
    make_patient(given_name="Kept")
    after_change = every_table()

    def refused(path: Path, words: str):
        with pytest.raises(CommandError, match=words):
            call_command("restore", str(path), "--noinput")
        assert every_table() == after_change  # nothing changed

    refused(tmp_path / "missing.backup", "cannot be read")
    (tmp_path / "junk").write_bytes(b"PK\x03\x04 not ours")
    refused(tmp_path / "junk", "not a glabella backup")
    monkeypatch.setenv("BACKUP_KEY", backups.new_key())
    refused(file, "cannot be decrypted with this BACKUP_KEY")
    monkeypatch.delenv("BACKUP_KEY")
    refused(file, "encrypted: set BACKUP_KEY")
    monkeypatch.setenv("BACKUP_KEY", "short")
    refused(file, "not a key of ours")
    assert before != after_change


def test_an_altered_or_cut_file_is_refused(tmp_path, monkeypatch, clinic):
    monkeypatch.setenv("BACKUP_KEY", backups.new_key())
    file = tmp_path / "clinic.backup"
    call_command("backup", str(file))
    data = bytearray(file.read_bytes())
    flipped = tmp_path / "flipped.backup"
    data[-40] ^= 1
    flipped.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("restore", str(flipped), "--noinput")
    cut = tmp_path / "cut.backup"
    cut.write_bytes(file.read_bytes()[:-100])
    with pytest.raises(CommandError, match=r"cut short|cannot be decrypted"):
        call_command("restore", str(cut), "--noinput")


def test_a_database_newer_than_the_backup_is_refused(tmp_path, monkeypatch, clinic):
    monkeypatch.delenv("BACKUP_KEY", raising=False)
    file = tmp_path / "clinic.backup"
    call_command("backup", str(file))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES "
            "('core', '9999_from_the_future', CURRENT_TIMESTAMP)"
        )
    try:
        with pytest.raises(CommandError, match="newer than the backup"):
            call_command("restore", str(file), "--noinput")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_migrations WHERE name = '9999_from_the_future'")
    # An older state takes it: the backup lacks nothing this database has.
    assert backups.restore_refusal([["core", "0001"], ["core", "0002"]], [["core", "0001"]]) is None


def test_the_key_is_made_and_asked_for(capsys):
    call_command("backup", "--new-key")
    key = capsys.readouterr().out.strip()
    assert len(backups.read_key(key)) == 32
    with pytest.raises(CommandError, match="Say where"):
        call_command("backup")
