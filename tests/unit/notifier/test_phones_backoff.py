"""Phone normalisation, masking numbers in outside text, and retry backoff."""

import pytest
from notifier.backoff import retry_delay
from notifier.phones import InvalidPhone, normalise, number_key, redact


@pytest.mark.parametrize("raw", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890"])
def test_indonesian_mobile_numbers_become_e164(raw: str) -> None:
    assert normalise(raw if not raw.startswith("62") else "+" + raw) == "+6281234567890"


@pytest.mark.parametrize("raw", ["12", "not a number", "0541 123456"])
def test_invalid_or_landline_numbers_are_refused_without_echoing_them(raw: str) -> None:
    with pytest.raises(InvalidPhone) as err:
        normalise(raw)
    assert raw not in str(err.value)


def test_number_key_hides_the_number_and_is_stable() -> None:
    k = number_key("+6281234567890", b"secret")
    assert k == number_key("+6281234567890", b"secret") != number_key("+6281234567891", b"secret")
    assert "812" not in k or len(k) == 32


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Failed receivers: +6281234567890", "Failed receivers: +62812*****890"),
        ("to 0812-3456-7890 refused", "to +62812*****890 refused"),
        ("invalid 62 812 3456 7890.", "invalid +62812*****890."),
        ("Kannel answered 503: Queue full", "Kannel answered 503: Queue full"),
        ("account 12345678 blocked", "account ******** blocked"),
    ],
)
def test_a_gateways_words_lose_every_number_in_them(text: str, redacted: str) -> None:
    assert redact(text) == redacted


def test_backoff_grows_exponentially_within_jitter_and_is_capped() -> None:
    assert retry_delay(1, 0.5, 60, rand=0.0) == 0.25
    assert retry_delay(1, 0.5, 60, rand=1.0) == 0.5
    assert retry_delay(4, 0.5, 60, rand=1.0) == 4.0
    assert retry_delay(30, 0.5, 60, rand=1.0) == 60.0
    assert 30.0 <= retry_delay(30, 0.5, 60) <= 60.0
