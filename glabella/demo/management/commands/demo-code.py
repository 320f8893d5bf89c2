"""glabella demo-code: the six-digit code the demo staff accounts' authenticator shows now, for
whoever tries the demo without an authenticator app (the key is DEMO_TOTP_KEY)."""

from binascii import unhexlify

from django.core.management.base import BaseCommand
from django_otp.oath import TOTP

from glabella.demo.clinic import DEMO_TOTP_KEY, demo_totp_hex


class Command(BaseCommand):
    help = "Prints the second-step code of the demo staff accounts (it changes every 30 s)."

    def handle(self, *args, **options):
        totp = TOTP(unhexlify(demo_totp_hex()))
        seconds = 30 - int(totp.time) % 30
        self.stdout.write(f"{totp.token():06d}")
        self.stderr.write(
            f"(good for {seconds} more seconds; the authenticator key is {DEMO_TOTP_KEY})"
        )
