"""glabella api-token issue|list|revoke: bearer tokens for integrations.

The secret is printed once, when issued; only its SHA-256 digest is stored.
"""

import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from glabella.core.models import ApiToken


class Command(BaseCommand):
    help = "Issues, lists or revokes API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        issue = sub.add_parser("issue", help="Issue a token that acts as a user")
        issue.add_argument("--user", required=True, help="the user's email (sign-in name)")
        issue.add_argument("--name", required=True, help="what the token is for")
        sub.add_parser("list", help="List tokens")
        revoke = sub.add_parser("revoke", help="Revoke a token")
        revoke.add_argument("token_id", help="the token's id, from `list`")

    def handle(self, *args, verb: str, **options):
        if verb == "issue":
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"There is no user {options['user']!r}.")
            name = options["name"].strip()
            if not name or len(name) > 100:
                raise CommandError("--name must be 1 to 100 characters.")
            token, raw = ApiToken.issue(user, name)
            self.stdout.write(f"Token {token.public_id} for {user.username}: {raw}")
            self.stdout.write("Keep it now: it is not shown again.")
        elif verb == "list":
            for t in ApiToken.objects.select_related("user").order_by("created_at"):
                state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
                used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
                self.stdout.write(
                    f"{t.public_id}  {t.user.username:30} {t.name:24} {t.hint}…  "
                    f"{state}, last used {used}"
                )
        else:
            try:
                token = ApiToken.objects.get(public_id=uuid.UUID(options["token_id"]))
            except (ApiToken.DoesNotExist, ValueError):
                raise CommandError(f"There is no token {options['token_id']!r}.") from None
            token.revoked_at = token.revoked_at or timezone.now()
            token.save(update_fields=["revoked_at"])
            self.stdout.write(f"Revoked {token}.")
