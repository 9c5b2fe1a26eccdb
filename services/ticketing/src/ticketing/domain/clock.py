"""Time, injected: tests move the clock across midnight without waiting for it."""

import time
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def __init__(self, offset_s: float = 0.0) -> None:
        self.offset_s = offset_s
        """Development and tests only (TICKETING_CLOCK_OFFSET_S): the time this much later."""

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.offset_s, UTC)


class FixedClock:
    """A clock a test sets and moves."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def service_day(at: datetime, tz: ZoneInfo) -> date:
    """The site's local day: numbering restarts at local midnight."""
    return at.astimezone(tz).date()
