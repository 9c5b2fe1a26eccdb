"""Command line: play a simulated MPP day against a running ticketing service."""

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from antre_contracts import load_catalog

from tools.simulator.day import Options, plan_day
from tools.simulator.drive import Day, SimClock, Tally
from tools.simulator.survey import Surveys

REPO = Path(__file__).resolve().parents[2]
EventHooks = dict[str, list[Callable[..., Any]]]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.simulator", description=__doc__)
    p.add_argument("--url", default="http://127.0.0.1:8001", help="ticketing's base URL")
    p.add_argument("--catalog", type=Path, default=REPO / "deploy/catalog/mpp-kutai-timur.toml")
    p.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    p.add_argument("--visitors", type=int, default=Options.visitors, help="expected in a day")
    p.add_argument("--hours", type=float, default=Options.hours, help="opening to closing")
    p.add_argument("--opens", default="08:00", help="opening time, for the progress lines")
    p.add_argument("--seed", type=int, default=Options.seed)
    p.add_argument("--no-show", type=float, default=Options.no_show, help="share of visitors")
    p.add_argument("--transfer", type=float, default=Options.transfer, help="share of visitors")
    p.add_argument("--park", type=float, default=Options.park, help="share parked")
    p.add_argument(
        "--late-return", type=float, default=Options.late_return,
        help="share of no-shows who come back and are called by number",
    )  # fmt: skip
    p.add_argument("--phone-share", type=float, default=Options.phone_share)
    p.add_argument("--token", default=None, help="one officer token for all counters")
    p.add_argument("--kiosk-token", default="demo-kiosk-01", help="the kiosks' device token")
    p.add_argument("--survey-url", default="http://127.0.0.1:8004", help="the survey's base URL")
    p.add_argument(
        "--survey-share", type=float, default=0.0, help="share of served visitors who answer"
    )
    p.add_argument(
        "--booking-share", type=float, default=0.0,
        help="of visitors for bookable services, the share who booked the day before; needs"
        " ticketing's clock to follow the simulator's (--booking-day, --lead-hours: see"
        " bench/day/run.py)",
    )  # fmt: skip
    p.add_argument("--booking-day", default=None, help="the day played (YYYY-MM-DD)")
    p.add_argument(
        "--lead-hours", type=float, default=0.0, help="start this long before opening (booking)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p.parse_args(argv)


async def simulate(args: argparse.Namespace, event_hooks: EventHooks | None = None) -> Tally:
    """Play the day; `event_hooks` go to the HTTP client (a bench times the requests so)."""
    catalog = load_catalog(args.catalog)
    options = Options(
        visitors=args.visitors, hours=args.hours, phone_share=args.phone_share,
        no_show=args.no_show, transfer=args.transfer, seed=args.seed,
        booking_share=args.booking_share, park=args.park, late_return=args.late_return,
    )  # fmt: skip
    plan = plan_day(catalog, options)
    async with (
        httpx.AsyncClient(base_url=args.url, timeout=30, event_hooks=event_hooks) as api,
        httpx.AsyncClient(base_url=args.survey_url, timeout=30) as survey_api,
    ):
        surveys = None
        if args.survey_share > 0:
            surveys = Surveys(survey_api, args.survey_share, random.Random(args.seed + 1))
        booking_day = date.fromisoformat(args.booking_day) if args.booking_day else None
        day = Day(
            api, catalog, plan, SimClock(args.speed, args.lead_hours * 3600), token=args.token,
            kiosk_token=args.kiosk_token, surveys=surveys, booking_day=booking_day,
        )  # fmt: skip
        progress = None if args.quiet else asyncio.create_task(report(day, args.opens))
        try:
            return await day.run()
        finally:
            if progress:
                progress.cancel()


async def report(day: Day, opens: str) -> None:
    """A progress line every simulated half hour."""
    start = datetime.strptime(opens, "%H:%M")
    while True:
        await day.clock.wait(1800)
        at = (start + timedelta(seconds=day.clock.now_s())).strftime("%H.%M")
        s = day.tally.summary()
        print(
            f"{at}  issued {s['issued']}  called {s['calls']}  served {s['served']}"
            f"  no-show {s['no_show']}  transferred {s['transfers']}"
            f"  parked {s['parked']}  called by number {s['chosen']}",
            file=sys.stderr,
        )


def main() -> None:
    args = parse()
    tally = asyncio.run(simulate(args))
    print(json.dumps(tally.summary(), indent=2))
