"""glabella backup FILE: the whole database to one file, encrypted when BACKUP_KEY is set.

SQLite through its online backup API, PostgreSQL through pg_dump (custom format); see
core/backups.py and docs/backups.md (scheduling, keeping the key).
"""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from glabella.core import backups


class Command(BaseCommand):
    help = "Backs up the whole database to a file (encrypted with BACKUP_KEY when it is set)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="where to write the backup")
        parser.add_argument(
            "--new-key", action="store_true", help="print a fresh BACKUP_KEY and stop"
        )
        parser.add_argument(
            "--plain",
            action="store_true",
            help="write it unencrypted even though BACKUP_KEY is set",
        )

    def handle(self, *args, file=None, new_key=False, plain=False, **options):
        if new_key:
            self.stdout.write(backups.new_key())
            return
        if not file:
            raise CommandError("Say where to write the backup: glabella backup FILE.")
        try:
            key = None if plain else backups.read_key(os.environ.get("BACKUP_KEY"))
            header = backups.backup(Path(file), key=key)
        except (backups.BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        how = "encrypted with BACKUP_KEY" if header["encrypted"] else "NOT encrypted"
        self.stdout.write(f"Backed up the {header['database']} database to {file} ({how}).")
