"""The phone number travels only encrypted (Fernet); the keys live in ticketing and notifier.

Keys rotate with MultiFernet: a setting holds "NEW,OLD,…"; the first encrypts, every one of
them decrypts, so an old key is dropped once the events it encrypted are past Kafka's
retention (and Redis's two days).
"""

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

DEV_PHONE_KEY = "ZGV2LW9ubHktYW50cmUtcGhvbmUta2V5LTMyYnl0ZXM="
"""A development key, refused outside development by each service's settings."""


def phone_keys(setting: str) -> list[str]:
    """The keys of a setting, newest first: comma separated, whitespace around each ignored."""
    keys = [k.strip() for k in setting.split(",") if k.strip()]
    if not keys:
        raise ValueError("no phone key: set one Fernet key (or NEW,OLD while rotating)")
    return keys


def _key_bytes(key: str) -> bytes | None:
    """The 32 bytes a key stands for, however it is spelled (Fernet decodes leniently: either
    base64 alphabet, stray characters dropped; padding or not)."""
    bare = key.strip().rstrip("=")
    try:
        raw = base64.urlsafe_b64decode((bare + "=" * (-len(bare) % 4)).encode())
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def is_dev_phone_key(key: str) -> bool:
    """True for the development key in any spelling Fernet would accept as the same key."""
    return _key_bytes(key) == _key_bytes(DEV_PHONE_KEY)


def refuse_dev_phone_keys(setting: str, variable: str) -> None:
    """Raise (naming the variable) if any key of the setting is the development key."""
    if any(is_dev_phone_key(k) for k in phone_keys(setting)):
        raise ValueError(
            f"{variable} holds the development phone key: generate one with"
            ' python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key()'
            '.decode())"'
        )


class PhoneCipher:
    """Encrypts and decrypts E.164 phone numbers carried in events."""

    def __init__(self, keys: str) -> None:
        self._fernet = MultiFernet([Fernet(k.encode()) for k in phone_keys(keys)])

    def encrypt(self, e164: str) -> str:
        return self._fernet.encrypt(e164.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("phone number cannot be decrypted with these keys") from exc


def mask(e164: str) -> str:
    """+6281234567890 -> +62812*****890: enough for an officer to recognise, not to dial."""
    if len(e164) <= 7:
        return "*" * len(e164)
    return e164[:6] + "*" * (len(e164) - 9) + e164[-3:]
