"""Phone numbers: E.164 normalisation and the keyed hash that stands for a number in Redis."""

import hashlib
import hmac
import re

import phonenumbers
from antre_contracts.phone import mask

# Seven digits or more, maybe after a '+', maybe grouped by spaces, dots or dashes: anything
# that could be a phone number however a gateway writes it.
_NUMBER_LIKE = re.compile(r"\+?\d(?:[ .\-]?\d){6,}")


class InvalidPhone(ValueError):
    """The number cannot receive an SMS; the reason never contains the number."""


def normalise(raw: str, region: str = "ID") -> str:
    """'0812-3456-7890' or '+62 812 3456 7890' -> '+6281234567890'; a mobile-capable number only."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"phone number cannot be parsed ({exc})") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone("phone number is not a valid number")
    kind = phonenumbers.number_type(parsed)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidPhone("phone number cannot receive SMS (not a mobile number)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def number_key(e164: str, secret: bytes) -> str:
    """HMAC of the number: lets Redis rate-limit a number without ever holding it."""
    return hmac.new(secret, e164.encode(), hashlib.sha256).hexdigest()[:32]


def redact(text: str) -> str:
    """Text from outside (a gateway's answer) with every number-like run masked: '... to
    0812-3456-7890 failed' -> '... to +62812*****890 failed'; a run that is no mobile number
    becomes stars."""
    return _NUMBER_LIKE.sub(lambda m: _masked(m.group()), text)


def _masked(run: str) -> str:
    digits = re.sub(r"[ .\-]", "", run)
    try:
        return mask(normalise(digits))
    except InvalidPhone:
        return "*" * len(digits)
