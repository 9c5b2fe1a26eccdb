"""Phone keys: rotation with MultiFernet, and the development key seen in any spelling."""

import base64

import pytest
from antre_contracts.phone import (
    DEV_PHONE_KEY,
    PhoneCipher,
    is_dev_phone_key,
    refuse_dev_phone_keys,
)
from cryptography.fernet import Fernet


def test_a_new_key_encrypts_and_the_old_one_still_decrypts() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = PhoneCipher(old).encrypt("+6281234567890")
    rotated = PhoneCipher(f"{new}, {old}")
    assert rotated.decrypt(before) == "+6281234567890"
    after = rotated.encrypt("+6281234567890")
    assert PhoneCipher(new).decrypt(after) == "+6281234567890"
    with pytest.raises(ValueError):
        PhoneCipher(old).decrypt(after)  # the new key encrypted it


@pytest.mark.parametrize(
    "spelling",
    [
        DEV_PHONE_KEY,
        f"  {DEV_PHONE_KEY}\n",
        DEV_PHONE_KEY.rstrip("="),
        base64.b64encode(base64.urlsafe_b64decode(DEV_PHONE_KEY)).decode(),  # +/ alphabet
        f"{Fernet.generate_key().decode()},{DEV_PHONE_KEY} ",
    ],
)
def test_the_development_key_is_refused_in_any_spelling(spelling: str) -> None:
    with pytest.raises(ValueError, match="TEST_KEY holds the development phone key"):
        refuse_dev_phone_keys(spelling, "TEST_KEY")


def test_a_real_key_is_not_taken_for_the_development_one() -> None:
    key = Fernet.generate_key().decode()
    assert not is_dev_phone_key(key)
    refuse_dev_phone_keys(key, "TEST_KEY")
