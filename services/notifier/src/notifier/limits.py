"""What a notice must pass before it is sent, as claim.lua applies it (README, "Limits"): its
kind's max age, the daily caps of its number and its site (the SMS bill ceiling), and its
number's rate window."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from notifier.config import Settings


@dataclass(frozen=True)
class Limits:
    rate_count: int
    rate_ms: int
    per_number: int
    """SMS a day to one number (its HMAC), in one site."""
    per_site: int
    """SMS a day for the whole site."""
    max_age_ms: dict[str, int]
    """By kind: an older notice is dropped, never sent."""


def limits(settings: Settings) -> Limits:
    """The limits from settings."""
    max_age_s = {
        "issued": settings.issued_max_age_s,
        "near_turn": settings.near_turn_max_age_s,
        "called": settings.called_max_age_s,
        "survey": settings.survey_max_age_s,
        "booked": settings.booked_max_age_s,
        "reminder": settings.reminder_max_age_s,
        "next_step": settings.next_step_max_age_s,
    }
    return Limits(
        rate_count=settings.rate_limit_count,
        rate_ms=settings.rate_limit_window_s * 1000,
        per_number=settings.sms_per_number_per_day,
        per_site=settings.sms_daily_budget,
        max_age_ms={kind: int(s * 1000) for kind, s in max_age_s.items()},
    )


def local_day(now_ms: int, tz: ZoneInfo) -> str:
    """The site's date at that moment ('2026-11-28'): the daily caps start again at its
    midnight, not at UTC's."""
    return datetime.fromtimestamp(now_ms / 1000, tz).date().isoformat()
