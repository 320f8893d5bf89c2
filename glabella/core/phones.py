"""Phone numbers: parse what a person typed and store it in E.164 (+18055550134)."""

import phonenumbers
from django.utils.translation import gettext

DEFAULT_REGION = "US"


class InvalidPhone(ValueError):
    pass


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of `raw`, or InvalidPhone with a message a person can act on."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone(gettext("Enter a phone number."))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(
            gettext(
                "We cannot read this phone number; enter it like (805) 555-0134 or +1 805 555 0134."
            )
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(gettext("This phone number does not exist; please check the digits."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str) -> str:
    """A stored E.164 number as people read it: (805) 555-0134 at home, +44 20 ... abroad."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == DEFAULT_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


def national_digits(e164: str) -> str:
    """The digits a person would type to find this number: 8055550134 for +18055550134."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in e164 if ch.isdigit())
    return phonenumbers.national_significant_number(number)
