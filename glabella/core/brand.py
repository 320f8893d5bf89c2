"""The clinic's identity as every floor reads it: its name, phone, email sender and colors.

The clinic app keeps it (its Organisation) and answers `core.signals.brand_requested`; core
cannot look up to it. With no clinic set up yet, the answer is the product's own name."""

from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings

from glabella.core import phones, signals

DEFAULT_NAME = "glabella"


@dataclass(frozen=True)
class Brand:
    name: str = DEFAULT_NAME
    phone: str = ""  # E.164
    sender_name: str = ""
    sender_email: str = ""
    main_color: str = "#2f5d62"
    text_color: str = "#ffffff"
    logo_version: str = ""  # empty: no logo

    @property
    def phone_display(self) -> str:
        return phones.display(self.phone) if self.phone else ""

    @property
    def letterhead(self) -> str:
        """The clinic's name and phone, as a PDF's first line and an email's signature."""
        return " · ".join(p for p in (self.name, self.phone_display) if p)

    @property
    def from_email(self) -> str:
        """The From: of the clinic's emails: its sender name and address, each falling back to
        DEFAULT_FROM_EMAIL's."""
        default_name, default_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
        name = self.sender_name or (self.name if self.name != DEFAULT_NAME else default_name)
        return formataddr((name, self.sender_email or default_address))

    def signed(self, body: str) -> str:
        """An email's body with the clinic's name and phone under it (once)."""
        if not self.phone or self.phone_display in body:
            return body
        return f"{body.rstrip()}\n\n--\n{self.name}\n{self.phone_display}\n"


def current(organisation_id: int | None = None) -> Brand:
    """The brand of `organisation_id`'s clinic; by default of the clinic the request or job acts
    for (core.access.acting_for), else of the deployment's first clinic."""
    if organisation_id is None:
        from glabella.core.access import acting_organisation_id

        organisation_id = acting_organisation_id()
    for _receiver, answer in signals.brand_requested.send(
        sender=Brand, organisation_id=organisation_id
    ):
        if isinstance(answer, Brand):
            return answer
    return Brand()
