"""Time, injected: tests move the clock across midnight without waiting for it."""

import time
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time(), UTC)


class FixedClock:
    """A clock a test sets and moves."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def service_day(at: datetime, tz: ZoneInfo) -> date:
    """The site's local day: numbering restarts at local midnight."""
    return at.astimezone(tz).date()
