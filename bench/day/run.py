"""A simulated MPP day as the load: what the whole hall costs, and how late boards and SMS are.

    uv run python bench/day/run.py [--speed 600] [--visitors 600] [--hours 7.5] [--seed 1]
                                   [--booking-share 0.3]

The three services run as processes (as `make up` runs them: one each, notifier through the real
Kannel) on a topic, site and consumer groups of their own; the simulator (`tools/simulator`)
plays a whole day through ticketing's HTTP API at `--speed` times real time: arrivals on the
morning-peak curve, officers with their service times, breaks, no-shows, recalls, transfers.
Measured over the day:
- the simulator's requests, time to the response (httpx, so client cost included), by action;
- from the services' own histograms: call → board push (display), event → Redis (notifier),
  call → SMS accepted by Kannel (notifier), outbox send → Kafka acknowledgement (ticketing);
- CPU seconds and peak RSS of each service, and the day's tickets as ticketing counted them;
- the waiting time (arrival to first call, simulated minutes) of visitors who booked online the
  day before and of walk-ins, apart. For that the day played is a real future weekday, and
  ticketing's clock follows the simulator's (TICKETING_CLOCK_OFFSET_S, _RATE, _ANCHOR_S, for
  development and benches only): it starts at 15.50 the day before, when the booking visitors
  book, and runs at `--speed`, so slots, check-in windows, ageing and the estimates all live
  in the simulated day.
Needs `make infra`. Writes bench/day/results.md and results.json (`--out` names them).
"""

import argparse
import asyncio
import json
import os
import platform
import re
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from antre_contracts import load_catalog  # noqa: E402

from bench.support.http import percentile, rss_mb  # noqa: E402
from bench.support.machine import redis_stalls, redis_stalls_begin  # noqa: E402
from bench.support.metrics import cpu_s, quantile, scrape  # noqa: E402
from tests.support.cleanup import forget_sites  # noqa: E402
from tests.support.processes import hall_services  # noqa: E402
from tools.simulator.cli import parse as simulator_args  # noqa: E402
from tools.simulator.cli import simulate  # noqa: E402
from tools.simulator.day import Options  # noqa: E402

LEAD_S = (24 - 15 - 50 / 60 + 8) * 3600
"""From 15.50 the day before (bookings close at 16.00) to the opening at 08.00."""
CATALOG = REPO / "deploy/catalog/mpp-kutai-timur.toml"
KAFKA = "127.0.0.1:9092"
REDIS = "redis://127.0.0.1:6379/0"
# A Redis per service, as `make up` runs them (deploy/local/infra.sh).
REDIS_OF = {"ticketing": REDIS, "notifier": "redis://127.0.0.1:6380/0",
            "display": "redis://127.0.0.1:6381/0"}  # fmt: skip
OUT = Path(__file__).parent
HISTOGRAMS = [  # (service, histogram, what it measures)
    ("display", "display_call_to_push_seconds", "call event → update pushed to the boards"),
    ("notifier", "notifier_event_latency_seconds", "event → notices recorded in Redis"),
    ("notifier", "notifier_call_to_gateway_seconds", "call event → 'called' SMS accepted"),
    ("ticketing", "faststream_published_messages_duration_seconds",
     "outbox batch sent → acknowledged by Kafka"),
]  # fmt: skip


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def action(response: httpx.Response) -> str:
    """The simulator's request, named by what it did and its status: 'issue 201', 'call-next
    200', 'call-next 409' (nothing waiting: officers ask again), 'read counter 200', …"""
    request, path = response.request, response.request.url.path
    if path == "/api/v1/tickets":
        name = "issue"
    elif match := re.fullmatch(r"/api/v1/counters/[^/]+/([a-z-]+)", path):
        name = match.group(1)
    elif re.fullmatch(r"/api/v1/counters/[^/]+", path):
        name = "read counter"
    elif path == "/api/v1/bookings":
        name = "book"
    elif re.fullmatch(r"/api/v1/bookings/[^/]+/check-in", path):
        name = "check-in"
    else:
        name = f"{request.method} {path}"
    return f"{name} {response.status_code}"


async def play(args: argparse.Namespace, url: str) -> tuple[dict[str, Any], dict[str, list[float]]]:
    latencies: dict[str, list[float]] = defaultdict(list)

    async def sent(request: httpx.Request) -> None:
        request.extensions["t0"] = time.perf_counter()

    async def answered(response: httpx.Response) -> None:
        latencies[action(response)].append(time.perf_counter() - response.request.extensions["t0"])

    argv = ["--url", url, "--speed", str(args.speed), "--visitors", str(args.visitors),
            "--hours", str(args.hours), "--seed", str(args.seed), "--quiet"]  # fmt: skip
    if args.booking_share > 0 or args.sim_clock:
        argv += ["--booking-share", str(args.booking_share), "--booking-day",
                 args.day.isoformat(), "--lead-hours", str(LEAD_S / 3600)]  # fmt: skip
        await asyncio.sleep(max(0.0, args.anchor - time.time()))  # ticketing's clock: 15.50
    sim = simulator_args(argv)
    tally = await simulate(sim, {"request": [sent], "response": [answered]})
    waits = {
        kind: {
            "n": len(v),
            "p50_min": _min(percentile(v, 50)) if v else None,
            "p90_min": _min(percentile(v, 90)) if v else None,
            "mean_min": _min(sum(v) / len(v)) if v else None,
        }
        for kind, v in tally.waits.items()
    }
    return {**tally.summary(), "waits": waits}, latencies


def _min(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def played_day(today: date) -> date:
    """The day played: the first Monday to Thursday (08.00-15.30, as --hours 7.5 assumes) at
    least two days ahead."""
    day = today + timedelta(days=2)
    while day.weekday() > 3:
        day += timedelta(days=1)
    return day


async def main(args: argparse.Namespace) -> None:
    suffix = uuid.uuid4().hex[:8]
    site, topic, dlq = f"bday{suffix}", f"bench.day.{suffix}", f"bench.day.{suffix}.dlq"
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1), NewTopic(dlq, 1, 1)])
    own = {name: {f"{name.upper()}_REDIS_URL": url} for name, url in REDIS_OF.items()}
    catalog = load_catalog(CATALOG)
    args.day = played_day(datetime.now(catalog.site.tz).date())
    if args.booking_share > 0 or args.sim_clock:  # ticketing's clock follows the simulator's
        args.anchor = time.time() + 20  # after the services have started
        before = datetime.combine(args.day - timedelta(days=1), dtime(15, 50), catalog.site.tz)
        own["ticketing"].update(
            TICKETING_CLOCK_ANCHOR_S=str(args.anchor),
            TICKETING_CLOCK_OFFSET_S=str(before.timestamp() - args.anchor),
            TICKETING_CLOCK_RATE=str(args.speed),
        )
    procs = hall_services(topic, dlq, site, extra=own)
    try:
        for proc in procs.values():
            proc.start()
        pids = {name: proc.proc.pid for name, proc in procs.items() if proc.proc}
        before = {name: scrape(proc.url) for name, proc in procs.items()}
        cpu0 = {name: cpu_s(pid) for name, pid in pids.items()}
        for url in REDIS_OF.values():
            await redis_stalls_begin(url)
        t0 = time.perf_counter()
        summary, latencies = await play(args, procs["ticketing"].url)
        day_s = time.perf_counter() - t0
        await asyncio.sleep(3)  # the last events and SMS of the day
        wall = time.perf_counter() - t0  # the interval the CPU time is taken over
        cpu = {name: cpu_s(pid) - cpu0[name] for name, pid in pids.items()}
        after = {name: scrape(proc.url) for name, proc in procs.items()}
        peak = {name: rss_mb(pid)[1] for name, pid in pids.items()}
        stalls = {name: await redis_stalls(url) for name, url in REDIS_OF.items()}
    finally:
        for proc in procs.values():
            proc.stop()
        await admin.delete_topics([topic, dlq])
        await admin.close()
        for url in REDIS_OF.values():
            await forget_sites(url, site)

    issued = sum(v for k, v in after["ticketing"].items()
                 if k.startswith("antre_tickets_issued_total{"))  # fmt: skip
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores",
        "command": f"uv run python bench/day/run.py --speed {args.speed:g} --visitors"
        f" {args.visitors} --hours {args.hours:g} --seed {args.seed}"
        f" --booking-share {args.booking_share:g}"
        + (" --sim-clock" if args.sim_clock else "")
        + (f" --out {args.out}" if args.out != "results" else ""),
        "day": {**summary, "ticketing_counted_issued": issued, "wall_s": round(day_s, 1)},
        "requests_ms": {
            name: {"n": len(v), "p50": ms(percentile(v, 50)), "p99": ms(percentile(v, 99))}
            for name, v in sorted(latencies.items())
        },
        "latency_ms": {
            metric: {
                "what": what,
                "p50": ms(quantile(after[svc], metric, 0.5, before[svc])),
                "p99": ms(quantile(after[svc], metric, 0.99, before[svc])),
            }
            for svc, metric, what in HISTOGRAMS
        },
        "cpu_s": {name: round(v, 1) for name, v in cpu.items()},
        "cpu_share_of_one_core": {name: round(v / wall, 3) for name, v in cpu.items()},
        "rss_peak_mb": {name: round(v, 1) for name, v in peak.items()},
        "redis_longest_stalls_ms": stalls,
    }
    (OUT / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (OUT / f"{args.out}.md").write_text(report(result, args))
    print((OUT / f"{args.out}.md").read_text())


def booking_lines(r: dict[str, Any], args: argparse.Namespace) -> list[str]:
    day = r["day"]
    return [
        f"Online bookings (`--booking-share {args.booking_share:g}` of the visitors for bookable"
        f" services booked the day before, for {args.day}): {day['bookings'] or 'none'}.",
        "",
        "| waiting, arrival to first call (simulated) | visitors | p50 min | p90 min | mean min |",
        "|---|---|---|---|---|",
        *(
            f"| {kind.replace('_', '-')} | {v['n']} | {v['p50_min']} | {v['p90_min']} |"
            f" {v['mean_min']} |"
            for kind, v in day["waits"].items()
        ),
        "",
        "A booked visitor's wait counts from their slot's start when they came before it (the"
        " check-in opens 30 minutes early); a late one is a walk-in. Walk-ins are every other"
        " visitor, of every service (most services cannot be booked); walk-in-bookable are the"
        " walk-ins of the services that can be booked.",
        "",
        "Ticketing's clock ran at the simulator's speed in this run (bookings, windows and ageing"
        " live in the simulated day), so `notifier_call_to_gateway_seconds`, taken from the"
        " event's time, is not a latency here; `results.md` (no bookings, real clock) has it.",
        "",
    ]


def report(r: dict[str, Any], args: argparse.Namespace) -> str:
    day = r["day"]
    lines = [
        "# A simulated day as the load",
        "",
        f"Command: `{r['command']}`  ",
        f"Run: {r['date']} on {r['machine']}; real Kafka, Redis and Kannel on 127.0.0.1, the three",
        "services as processes, the simulator in the bench's own process (httpx).",
        "",
        f"The day: {args.hours:g} h of opening hours at {args.speed:g}×"
        f" ({args.hours * 3600 / args.speed:.0f} s), then until the officers have served the"
        f" last visitor: {day['wall_s']} s of real time in all;"
        f" {day['issued']} tickets ({day['ticketing_counted_issued']:.0f} counted by ticketing),"
        f" {day['with_phone']} with a phone number, {day['calls']} calls, {day['recalls']}"
        f" recalls, {day['served']} served, {day['no_show']} no-shows, {day['transfers']}"
        f" transfers; {day['turned_away']} visitors turned away by a daily quota;"
        f" unexpected refusals: {day['errors'] or 'none'}.",
        "",
        *(booking_lines(r, args) if args.booking_share > 0 or args.sim_clock else []),
        "Longest stalls of each service's Redis during the day (its latency monitor, ms; events"
        " over 20 ms; ticketing's fsyncs every write, the others every second): "
        + "; ".join(f"{name}: {v or 'none over 20 ms'}" for name, v in r["redis_longest_stalls_ms"].items())
        + ".",
        "",
        "| the simulator's requests | n | p50 ms | p99 ms |",
        "|---|---|---|---|",
        *(f"| {name} | {v['n']} | {v['p50']} | {v['p99']} |"
          for name, v in r["requests_ms"].items()),
        "",
        "| from the services' histograms | p50 ms | p99 ms |",
        "|---|---|---|",
        *(f"| {v['what']} (`{name}`) | {v['p50']} | {v['p99']} |"
          for name, v in r["latency_ms"].items()),
        "",
        "| service | CPU s over the day | share of one core | peak RSS MB |",
        "|---|---|---|---|",
        *(f"| {name} | {r['cpu_s'][name]} | {r['cpu_share_of_one_core'][name]:.1%} |"
          f" {r['rss_peak_mb'][name]} |" for name in r["cpu_s"]),
        "",
        "Histogram quantiles are interpolated within Prometheus buckets, as `histogram_quantile`",
        "does; the simulator's figures include httpx's own time. At a speed-up, an hour's",
        "arrivals come in seconds: the load is the day's, compressed, not a stress test; CPU",
        "shares hold for this speed-up only (taken over the day plus 3 s for its last events).",
        "`call-next 409` is an officer pressing call-next with nobody waiting: the simulated",
        "officers ask again every 20 simulated seconds.",
        "",
    ]  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", type=float, default=600)
    parser.add_argument("--visitors", type=int, default=600)
    parser.add_argument("--hours", type=float, default=Options.hours)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--booking-share", type=float, default=0.0,
        help="of visitors for bookable services, the share who booked the day before (0: none,"
        " and ticketing on the real clock)",
    )  # fmt: skip
    parser.add_argument(
        "--sim-clock", action="store_true",
        help="ticketing's clock follows the simulator's even without bookings (a baseline)",
    )  # fmt: skip
    parser.add_argument("--out", default="results", help="results file names, without suffix")
    asyncio.run(main(parser.parse_args()))
