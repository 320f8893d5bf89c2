"""glabella add-owner EMAIL NAME [--clinic NAME]: the clinic's first owner (or another one), invited
as the Team page invites anyone: an account without a password and a one-time set-password link,
emailed and printed here. Logged in the access log as done by this command. With --clinic, the
owner of that clinic, created if the deployment has none of that name: how a second, independent
clinic joins a deployment (decision 0047)."""

import dataclasses

from django.core.management.base import BaseCommand, CommandError

from glabella.clinic.clock import local_today
from glabella.clinic.models import Organisation
from glabella.clinic.team_views import invitation_link
from glabella.core import staff as staff_service
from glabella.core.access import system_actor
from glabella.core.errors import ValidationFailed
from glabella.core.roles import Role


class Command(BaseCommand):
    help = "Invites an owner: prints (and emails) a link that sets their password once."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the owner's sign-in email")
        parser.add_argument("name", help="the owner's full name")
        parser.add_argument(
            "--clinic",
            default="",
            help="the clinic's name (created if new); needed once the deployment has several",
        )

    def handle(self, *args, email: str, name: str, clinic: str = "", **options):
        links: list[str] = []
        actor = system_actor("glabella add-owner")
        if clinic.strip():
            found, _ = Organisation.objects.get_or_create(name=clinic.strip())
            actor = dataclasses.replace(actor, organisation_id=found.pk)
        elif Organisation.objects.count() > 1:
            raise CommandError("This deployment has several clinics: name one with --clinic.")

        def link_for(uid: str, token: str) -> str:
            links.append(invitation_link(uid, token))
            return links[-1]

        try:
            staff, sent = staff_service.invite(
                actor,
                email,
                {"full_name": name, "role": Role.OWNER},
                today=local_today(),
                link_for=link_for,
            )
        except ValidationFailed as exc:
            problems = "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.fields.items())
            raise CommandError(problems) from None
        mailed = "emailed and " if sent else ""
        self.stdout.write(
            f"{staff.full_name} is an owner; the link to set a password was {mailed}is:\n"
            f"{links[-1]}"
        )
