"""Signed links to one thing a patient is asked about (a check-in, a monthly question): the
thing's public id, signed; the link works from when it is sent until `days` after the thing is
due."""

from datetime import timedelta

from django.core import signing
from django.utils import timezone


def sign_id(salt: str, public_id) -> str:
    return signing.TimestampSigner(salt=salt).sign(str(public_id))


def open_due_link(token: str, *, salt: str, queryset, days: int):
    """The object the link names (from `queryset`, which must hold `due_at`); raises
    BadSignature for a tampered or unknown link, SignatureExpired past its time."""
    public_id = signing.TimestampSigner(salt=salt).unsign(token)
    found = queryset.filter(public_id=public_id).first()
    if found is None:
        raise signing.BadSignature("no such link")
    if timezone.now() > found.due_at + timedelta(days=days):
        raise signing.SignatureExpired("the link has expired")
    return found
