"""glabella unlock EMAIL: lifts a sign-in lock before its time (the owner's way until the staff
pages have a button); logged in the access log as done by this command."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from glabella.core import lockout
from glabella.core.access import system_actor


class Command(BaseCommand):
    help = "Unlocks an account that repeated failed sign-ins have locked."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the account's sign-in email")

    def handle(self, *args, email: str, **options):
        user = get_user_model().objects.filter(username__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account signs in as {email!r}.")
        was_locked = lockout.is_locked(user)
        cleared = lockout.unlock(system_actor("glabella unlock"), user)
        state = "was locked" if was_locked else "was not locked"
        self.stdout.write(f"{user.get_username()} {state}; {cleared} failed sign-ins cleared.")
