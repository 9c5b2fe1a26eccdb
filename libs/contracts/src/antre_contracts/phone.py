"""The phone number travels only encrypted (Fernet); the key lives in ticketing and notifier."""

from cryptography.fernet import Fernet, InvalidToken

DEV_PHONE_KEY = "ZGV2LW9ubHktYW50cmUtcGhvbmUta2V5LTMyYnl0ZXM="
"""A development key, refused outside development by each service's settings."""


class PhoneCipher:
    """Encrypts and decrypts E.164 phone numbers carried in events."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def encrypt(self, e164: str) -> str:
        return self._fernet.encrypt(e164.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("phone number cannot be decrypted with this key") from exc


def mask(e164: str) -> str:
    """+6281234567890 -> +62812*****890: enough for an officer to recognise, not to dial."""
    if len(e164) <= 7:
        return "*" * len(e164)
    return e164[:6] + "*" * (len(e164) - 9) + e164[-3:]
