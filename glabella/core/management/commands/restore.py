"""glabella restore FILE: puts the database back as a `glabella backup` file holds it.

Refuses, changing nothing, a file it cannot read or decrypt (BACKUP_KEY), a backup of the other
kind of database, and a database newer than the backup (see core/backups.py).
"""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from glabella.core import backups


class Command(BaseCommand):
    help = "Restores the whole database from a `glabella backup` file (replaces what is there)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args, file, interactive=True, **options):
        try:
            key = backups.read_key(os.environ.get("BACKUP_KEY"))
            header, _ = backups.read_header(Path(file))
            if interactive:
                answer = input(
                    f"Replace everything in this database with the backup made "
                    f"{header.get('made_at', '(time unknown)')}? Type yes to go on: "
                )
                if answer.strip().lower() != "yes":
                    raise CommandError("Nothing was restored.")
            backups.restore(Path(file), key=key)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored the database from {file} (made {header.get('made_at')}). "
            "Run `glabella migrate` if this version of glabella is newer than the backup."
        )
