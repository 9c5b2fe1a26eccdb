"""Figures per officer computed independently from a day's events on the topic: what the
coordinator's figures (ticketing.domain.figures) must equal."""

import math
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


def of_day(
    events: list[dict[str, Any]], day: str, tz: str = "Asia/Makassar"
) -> list[dict[str, Any]]:
    """The events that happened on the site's local `day`."""
    zone = ZoneInfo(tz)

    def local_day(e: dict[str, Any]) -> str:
        at = datetime.fromisoformat(e["time"].replace("Z", "+00:00"))
        return at.astimezone(zone).date().isoformat()

    return [e for e in events if local_day(e) == day]


def from_events(events: list[dict[str, Any]], day: str) -> dict[str, dict[str, Any]]:
    """The figures, computed independently from the day's events."""
    f: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    times: dict[str, list[int]] = defaultdict(list)
    for e in events:
        d, t = e["data"], e["type"]
        if t == "antre.ticket.called" and not d["recall"]:
            o = f[d["officer_id"]]
            if d["how"] in ("next", "number"):
                o["called"] += 1
                o["wait"] += d["waited_s"]
            else:
                o["called_back"] += 1
            o["chosen"] += d["how"] != "next"
            o["out_of_order"] += d["out_of_order"]
        elif t == "antre.ticket.completed":
            f[d["officer_id"]][d["outcome"]] += 1
            if d["outcome"] == "served":
                times[d["officer_id"]].append(d["service_time_s"])
        elif t == "antre.ticket.transferred" and d.get("reason", "transfer") == "transfer":
            f[d["officer_id"]]["transferred"] += 1
        elif t == "antre.ticket.parked":
            f[d["officer_id"]]["parked"] += 1
    rows: dict[str, dict[str, Any]] = {}
    for officer, o in f.items():
        ts = sorted(times[officer])
        rows[officer] = {
            "day": day,
            "officer_id": officer,
            "served": o["served"],
            "no_show": o["no_show"],
            "transferred": o["transferred"],
            "parked": o["parked"],
            "called": o["called"],
            "called_back": o["called_back"],
            "chosen": o["chosen"],
            "out_of_order": o["out_of_order"],
            "mean_service_s": round(sum(ts) / len(ts), 1) if ts else None,
            "p90_service_s": ts[math.ceil(0.9 * len(ts)) - 1] if ts else None,
            "mean_wait_s": round(o["wait"] / o["called"], 1) if o["called"] else None,
        }
    return rows
