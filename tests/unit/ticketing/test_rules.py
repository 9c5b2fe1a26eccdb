"""Pure ticketing rules: hours, last ticket, phones, estimates."""

from datetime import UTC, datetime

import pytest
from antre_contracts import load_catalog
from ticketing.config import REPO
from ticketing.domain.clock import service_day
from ticketing.domain.rules import (
    describe_hours,
    estimated_wait_s,
    hours_refusal,
    normalise_phone,
)

CATALOG = load_catalog(REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml")
SITE = CATALOG.site
KTP = CATALOG.service_by_id["ktp-el"]  # last ticket 14.30
PASPOR = CATALOG.service_by_id["paspor"]  # last ticket 12.00


def wita(day: int, hour: int, minute: int = 0) -> datetime:
    return (
        datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)
        if hour >= 8
        else datetime(2026, 11, day - 1, hour + 16, minute, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("at", "service", "expected"),
    [
        (wita(30, 7, 59), KTP, "closed"),  # Monday before opening
        (wita(30, 8, 0), KTP, None),
        (wita(30, 14, 29), KTP, None),
        (wita(30, 14, 30), KTP, "last_ticket_passed"),
        (wita(30, 11, 0), PASPOR, None),
        (wita(30, 12, 0), PASPOR, "last_ticket_passed"),
        (wita(28, 11, 59), KTP, None),  # Saturday until 12.00
        (wita(28, 12, 0), KTP, "closed"),
        (wita(29, 10, 0), KTP, "closed"),  # Sunday
    ],
)
def test_hours_and_last_ticket(at, service, expected):
    refusal = hours_refusal(SITE, service, at)
    assert (refusal.code if refusal else None) == expected


def test_hours_read_as_indonesian_day_ranges():
    assert describe_hours(SITE) == (
        "Senin–Kamis 08.00–15.30, Jumat 08.00–16.00, Sabtu 08.00–12.00 WITA"
    )


def test_service_day_turns_at_local_midnight_not_utc():
    assert service_day(datetime(2026, 11, 30, 15, 59, tzinfo=UTC), SITE.tz).isoformat() == (
        "2026-11-30"
    )
    assert service_day(datetime(2026, 11, 30, 16, 0, tzinfo=UTC), SITE.tz).isoformat() == (
        "2026-12-01"
    )


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("081234567890", "+6281234567890"),
        ("0812 3456 7890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
    ],
)
def test_mobile_numbers_normalise_to_e164(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12ab", "0812", "(0549) 21234", "+1 202 555 0143", ""])
def test_numbers_that_cannot_take_an_sms_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_phone(raw)


def test_estimate_divides_people_ahead_by_open_counters():
    assert estimated_wait_s(6, 2, 300) == 900
    assert estimated_wait_s(0, 3, 300) == 0
    assert estimated_wait_s(4, 0, 120) == 480  # nobody open yet: as if one counter
