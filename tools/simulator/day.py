"""The model of an MPP day, pure and seeded: who arrives when, for what, and how long it takes.

Times are seconds since the site opened (simulated time). Nothing here does I/O, so the plan
of a day is the same for a given seed and can be tested fast.
"""

import itertools
import math
import random
from dataclasses import dataclass, field, replace

from antre_contracts.catalog import Catalog

# Relative arrival rate through the day (hours after opening → weight), linear in between:
# a queue before the doors open, a peak at 09:00-10:30, a dip over lunch and prayer, a small
# second wave, nobody in the last half hour (tickets stop before closing).
ARRIVAL_CURVE: tuple[tuple[float, float], ...] = (
    (0.0, 1.2), (0.5, 1.3), (1.0, 1.7), (1.5, 1.8), (2.0, 1.6), (2.5, 1.3), (3.0, 1.0),
    (3.5, 0.8), (4.0, 0.45), (4.5, 0.45), (5.0, 0.8), (5.5, 0.85), (6.0, 0.6), (6.5, 0.3),
    (7.0, 0.0),
)  # fmt: skip

# How many of a day's visitors come for each service (others weigh 2).
SERVICE_MIX = {
    "ktp-el": 18, "kk": 12, "akta": 8, "pkb-tahunan": 14, "pkb-5-tahunan": 5, "jkn": 10,
    "jht": 6, "pajak": 5, "paspor": 6, "skck": 9, "haji": 1, "nikah": 2, "air": 3,
    "perizinan": 4, "pertanahan": 3, "bank": 5,
}  # fmt: skip

PRIORITIES = (("regular", 0.88), ("lansia", 0.08), ("disabilitas", 0.02), ("ibu_hamil", 0.02))
CHANNELS = (("kiosk", 0.85), ("web", 0.15))


@dataclass(frozen=True)
class Options:
    visitors: int = 600
    """Expected visitors in a whole day (the curve is scaled to it)."""
    hours: float = 7.5
    """Opening to closing, simulated."""
    phone_share: float = 0.4
    no_show: float = 0.07
    transfer: float = 0.03
    park: float = 0.04
    """Of the visitors who start service, the share parked (sent to photocopy a document or
    complete a form); they come back 5-20 simulated minutes later and are called by number."""
    late_return: float = 0.25
    """Of the no-shows, the share who come back 10-40 minutes later and are called by number
    (reason terlambat)."""
    service_time_cv: float = 0.5
    """Spread of service times (coefficient of variation of a log-normal)."""
    booking_share: float = 0.0
    """Of the visitors for a bookable service, the share who booked a slot the day before."""
    seed: int = 2026


@dataclass(frozen=True)
class Arrival:
    at_s: float
    service_id: str
    priority: str
    channel: str
    phone: str | None
    booked: bool = False
    """Booked online the day before: comes within the slot's check-in window and checks in."""


@dataclass(frozen=True)
class Break:
    at_s: float
    duration_s: float
    reason: str


@dataclass
class DayPlan:
    options: Options
    arrivals: list[Arrival]
    breaks: dict[str, list[Break]]
    open_at_s: dict[str, float]
    rng: random.Random = field(repr=False)

    @property
    def close_s(self) -> float:
        return self.options.hours * 3600


def rate_weight(hour: float, curve: tuple[tuple[float, float], ...] = ARRIVAL_CURVE) -> float:
    """The arrival curve at `hour` after opening (linear between its points, 0 outside)."""
    for (h0, w0), (h1, w1) in itertools.pairwise(curve):
        if h0 <= hour <= h1:
            return w0 + (w1 - w0) * (hour - h0) / (h1 - h0)
    return 0.0


def arrival_times(rng: random.Random, visitors: int, hours: float) -> list[float]:
    """A non-homogeneous Poisson process following the curve (Lewis-Shedler thinning)."""
    span = min(hours, ARRIVAL_CURVE[-1][0])
    steps = 200
    area = sum(rate_weight(span * (i + 0.5) / steps) for i in range(steps)) * span / steps
    peak = max(w for _, w in ARRIVAL_CURVE)
    per_hour_at_peak = visitors / area * peak if area else 0.0
    times, t = [], 0.0
    while per_hour_at_peak > 0:
        t += rng.expovariate(per_hour_at_peak)
        if t >= span:
            break
        if rng.random() * peak < rate_weight(t):
            times.append(t * 3600)
    return times


def service_time_s(rng: random.Random, mean_minutes: float, cv: float) -> float:
    """A log-normal service time with the catalog's mean: mostly near it, a few long ones."""
    sigma2 = math.log(1 + cv * cv)
    mu = math.log(mean_minutes * 60) - sigma2 / 2
    return rng.lognormvariate(mu, math.sqrt(sigma2))


def _pick(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def plan_day(catalog: Catalog, options: Options) -> DayPlan:
    """Arrivals, counter opening times and breaks for one day."""
    rng = random.Random(options.seed)
    services = [s.id for s in catalog.services]
    mix = tuple((s, float(SERVICE_MIX.get(s, 2))) for s in services)
    arrivals = [
        Arrival(
            at_s=t,
            service_id=_pick(rng, mix),
            priority=_pick(rng, PRIORITIES),
            channel=_pick(rng, CHANNELS),
            phone=f"0812{rng.randrange(10**8):08d}" if rng.random() < options.phone_share else None,
        )
        for t in arrival_times(rng, options.visitors, options.hours)
    ]
    if options.booking_share > 0:  # its own stream: the walk-ins' plan stays the same
        brng = random.Random(options.seed + 7)
        bookable = {s.id for s in catalog.services if s.slot_minutes and s.booking_quota}
        arrivals = [
            replace(a, booked=True, priority="regular", channel="kiosk")
            if a.service_id in bookable and brng.random() < options.booking_share
            else a
            for a in arrivals
        ]
    open_at, breaks = {}, {}
    close = options.hours * 3600
    for i, counter in enumerate(catalog.counters):
        open_at[counter.id] = rng.uniform(0, 600)  # officers settle in over the first minutes
        # Lunch (istirahat) in two shifts so every zone keeps serving, then a short prayer break.
        lunch = 4.0 * 3600 + (0 if i % 2 == 0 else 2700)
        breaks[counter.id] = [
            b
            for b in (
                Break(lunch, 2700, "istirahat"),
                Break(lunch + 2700 + 3600 + rng.uniform(0, 1800), 900, "salat"),
            )
            if b.at_s + b.duration_s < close
        ]
    return DayPlan(options, arrivals, breaks, open_at, rng)
