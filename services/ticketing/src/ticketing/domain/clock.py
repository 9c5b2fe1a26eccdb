"""Time, injected: tests move the clock across midnight without waiting for it."""

import time
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock; in development and benches it may be shifted (`offset_s`) and run
    `rate` times faster from `anchor` (a unix time), as a simulator's day does:
    now = anchor + offset + (time - anchor) x rate."""

    def __init__(
        self, offset_s: float = 0.0, rate: float = 1.0, anchor: float | None = None
    ) -> None:
        self.offset_s = offset_s
        self.rate = rate
        self.anchor = time.time() if anchor is None else anchor

    def now(self) -> datetime:
        t = time.time()
        if self.rate != 1.0:
            t = self.anchor + (t - self.anchor) * self.rate
        return datetime.fromtimestamp(t + self.offset_s, UTC)


class FixedClock:
    """A clock a test sets and moves."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def service_day(at: datetime, tz: ZoneInfo) -> date:
    """The site's local day: numbering restarts at local midnight."""
    return at.astimezone(tz).date()
