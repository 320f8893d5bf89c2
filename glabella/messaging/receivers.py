"""What messaging listens to: core's `account_locked`, answered with an email to the person whose
account it is (through the outbox, so it is sent, retried and kept like every message); and
patients' `record_sections`, answered with the messages sent to the patient."""

from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse

from glabella.core.signals import account_locked
from glabella.messaging.models import Channel
from glabella.messaging.outbox import queue_message
from glabella.messaging.record_sections import messages_section
from glabella.patients.signals import record_sections

LOCKED_SUBJECT = "Your glabella sign-in was paused"
LOCKED_BODY = """Hello,

Someone tried to sign in to your glabella account ({username}) with a wrong password too many
times, so signing in to it is paused for {minutes} minutes.

If that was you, wait and try again, or choose a new password here:
{reset_url}

If it was not you, tell the clinic's owner: they can see where the tries came from and unlock
your account. Your password was not shown to anyone.
"""


@receiver(account_locked, dispatch_uid="messaging-account-locked")
def alert_locked_account(sender, user, lock_id: int, minutes: int, **kwargs):
    to = user.email or user.get_username()
    if "@" not in to:
        return  # an account without an address cannot be told
    queue_message(
        patient=None,
        channel=Channel.EMAIL,
        to=to,
        topic="account-locked",
        subject=LOCKED_SUBJECT,
        body=LOCKED_BODY.format(
            username=user.get_username(),
            minutes=minutes,
            reset_url=settings.SITE_URL + reverse("core:password-reset"),
        ),
        dedupe_key=f"account-locked:{lock_id}",
    )


@receiver(record_sections, dispatch_uid="messaging.record_sections")
def add_messages(sender, actor, patient, now, **kwargs):
    return messages_section(actor, patient, now)
