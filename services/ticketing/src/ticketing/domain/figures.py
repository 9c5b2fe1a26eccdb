"""Figures per officer and day, from the counts queue.lua keeps as it emits the events that
carry them (pure; the coordinator page, its CSV and an officer's own figures).

Definitions (written on the coordinator page too):
- served, no_show: tickets the officer finished so (antre.ticket.completed);
- transferred: tickets they sent to another service (antre.ticket.transferred, reason
  transfer; a visit's next step is a served ticket, not a transfer);
- parked: tickets they parked (antre.ticket.parked);
- called: first calls from the waiting lists (call-next and chosen waiting tickets), whose
  waits make `mean_wait_s` (antre.ticket.called, how next or number, `waited_s`);
- called_back: parked tickets and returned no-shows they called back (their wait is the
  visitor's own errand, not the queue's, so it is left out of the mean wait);
- out_of_order: chosen calls that took another ticket than call-next would have;
- mean and p90 service time: of their served tickets (`service_time_s`); p90 by nearest rank.
"""

import math
from datetime import date
from typing import Any

COLUMNS = (
    "day",
    "officer_id",
    "officer_name",
    "served",
    "no_show",
    "transferred",
    "parked",
    "called",
    "called_back",
    "chosen",
    "out_of_order",
    "mean_service_s",
    "p90_service_s",
    "mean_wait_s",
)


def p90(values: list[int]) -> int | None:
    """The nearest-rank 90th percentile: the smallest value with 90 % at or below it."""
    if not values:
        return None
    ranked = sorted(values)
    return ranked[max(0, math.ceil(0.9 * len(ranked)) - 1)]


def _mean(total: int, n: int) -> float | None:
    return round(total / n, 1) if n else None


def summarise(raw: dict[str, Any], name: str, day: date) -> dict[str, Any]:
    """One officer's figures of a day from queue.lua's counts (`antre_figures`)."""
    times = [int(x) for x in raw.get("service_times") or []]
    count = {k: int(raw.get(k) or 0) for k in (
        "served", "no_show", "transferred", "parked", "calls", "called_back", "chosen",
        "out_of_order", "wait_s", "service_s",
    )}  # fmt: skip
    return {
        "day": day.isoformat(),
        "officer_id": raw["officer_id"],
        "officer_name": name,
        "served": count["served"],
        "no_show": count["no_show"],
        "transferred": count["transferred"],
        "parked": count["parked"],
        "called": count["calls"],
        "called_back": count["called_back"],
        "chosen": count["chosen"],
        "out_of_order": count["out_of_order"],
        "mean_service_s": _mean(sum(times), len(times)),
        "p90_service_s": p90(times),
        "mean_wait_s": _mean(count["wait_s"], count["calls"]),
    }
