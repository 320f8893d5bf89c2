"""glabella api-token issue|list|revoke: bearer tokens for integrations.

The secret is printed once, when issued; only its SHA-256 digest is stored. A token has a scope
(`read`, `write`, or capabilities separated by commas, never more than its user's role) and an
expiry (API_TOKEN_DAYS by default, API_TOKEN_MAX_DAYS at most). The owner's staff pages do the
same; issuing and revoking are in the access log either way.
"""

import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from glabella.core import tokens
from glabella.core.access import system_actor
from glabella.core.errors import DomainError, describe
from glabella.core.models import ApiToken, StaffMember


class Command(BaseCommand):
    help = "Issues, lists or revokes API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        issue = sub.add_parser("issue", help="Issue a token that acts as a user")
        issue.add_argument("--user", required=True, help="the user's email (sign-in name)")
        issue.add_argument("--name", required=True, help="what the token is for")
        issue.add_argument(
            "--scope",
            default=tokens.READ,
            help="read (the default), write (all the user's role may do), or capabilities "
            "separated by commas, e.g. patient.view,clinic.view",
        )
        issue.add_argument(
            "--days", type=int, default=None, help="how many days it works (API_TOKEN_DAYS)"
        )
        sub.add_parser("list", help="List tokens")
        revoke = sub.add_parser("revoke", help="Revoke a token")
        revoke.add_argument("token_id", help="the token's id, from `list`")

    def handle(self, *args, verb: str, **options):
        if verb == "issue":
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"There is no user {options['user']!r}.")
            staff = StaffMember.objects.filter(user=user).first()
            if staff is None:
                raise CommandError(f"{options['user']!r} is not on the clinic's staff.")
            scope_arg = options["scope"].strip()
            if scope_arg in (tokens.READ, tokens.WRITE):
                scope = tokens.scope_for(staff, scope_arg)
            else:
                scope = [c.strip() for c in scope_arg.split(",") if c.strip()]
            actor = system_actor("api-token command")
            try:
                token, raw = tokens.issue(actor, staff, options["name"], scope, options["days"])
            except DomainError as exc:
                raise CommandError(describe(exc)) from None
            self.stdout.write(f"Token {token.public_id} for {user.username}: {raw}")
            self.stdout.write(
                f"Scope: {', '.join(token.scope)}. Expires {token.expires_at:%Y-%m-%d %H:%M} UTC."
            )
            self.stdout.write("Keep it now: it is not shown again.")
        elif verb == "list":
            now = timezone.now()
            for t in ApiToken.objects.select_related("user").order_by("created_at"):
                state = t.state_on(now)
                if t.revoked_at:
                    state = f"revoked {t.revoked_at:%Y-%m-%d}"
                elif t.expires_at:
                    state += f" until {t.expires_at:%Y-%m-%d}"
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
            try:
                tokens.revoke(system_actor("api-token command"), token)
            except DomainError as exc:
                raise CommandError(describe(exc)) from None
            self.stdout.write(f"Revoked {token}.")
