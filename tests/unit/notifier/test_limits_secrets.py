"""Settings of the SMS bill ceiling and the secrets production must set itself; the site's
day the daily caps count in."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from notifier.config import Settings
from notifier.limits import limits, local_day
from notifier.texts import KINDS

WITA = ZoneInfo("Asia/Makassar")
STRONG = "s" * 43


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        ("2026-11-27T15:59:59", "2026-11-27"),  # 23.59.59 WITA
        ("2026-11-27T16:00:00", "2026-11-28"),  # midnight WITA: a new day, new counts
        ("2026-11-28T15:00:00", "2026-11-28"),
    ],
)
def test_the_daily_caps_count_in_the_sites_own_day(utc: str, day: str) -> None:
    assert local_day(_ms(utc), WITA) == day


def test_every_kind_of_sms_has_a_max_age() -> None:
    ages = limits(Settings(survey_max_age_s=120)).max_age_ms
    assert set(ages) == set(KINDS)
    assert ages["survey"] == 120_000


def production(**overrides: str) -> Settings:
    """Production settings with every secret set, then the overrides."""
    env: dict[str, str] = {
        "environment": "production",
        "provider": "kannel",
        "phone_key": Fernet.generate_key().decode(),
        "kannel_password": "a-real-gateway-password",
        "dlr_secret": STRONG,
        "number_hash_key": "k" * 43,
        **overrides,
    }
    return Settings(**env)  # type: ignore[arg-type]


def test_production_starts_with_real_secrets_and_development_with_none() -> None:
    assert production().environment == "production"
    assert production(dlr_secret=f"{STRONG}x,{STRONG}").environment == "production"  # rotating
    assert Settings().environment == "development"
    # A provider without Kannel needs neither its password nor a report secret.
    assert production(provider="log", kannel_password="antre-dev", dlr_secret="").provider == "log"


@pytest.mark.parametrize(
    ("override", "variable"),
    [
        ({"kannel_password": "antre-dev"}, "NOTIFIER_KANNEL_PASSWORD"),
        ({"kannel_password": " Antre-DEV\t"}, "NOTIFIER_KANNEL_PASSWORD"),
        ({"kannel_password": "  "}, "NOTIFIER_KANNEL_PASSWORD"),
        ({"dlr_secret": "antre-dev-dlr-secret-for-development-only"}, "NOTIFIER_DLR_SECRET"),
        ({"dlr_secret": f"{STRONG},short"}, "NOTIFIER_DLR_SECRET"),
        ({"dlr_secret": ""}, "NOTIFIER_DLR_SECRET"),
        ({"number_hash_key": "ANTRE-DEV-number-hash-key-for-development-only"}, "NUMBER_HASH"),
        ({"number_hash_key": "short"}, "NOTIFIER_NUMBER_HASH_KEY"),
    ],
)
def test_production_refuses_each_development_or_weak_secret_by_name(
    override: dict[str, str], variable: str
) -> None:
    with pytest.raises(ValueError, match=variable):
        production(**override)
