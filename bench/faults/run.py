"""The fault run: a simulated day as the load while Redis, Kafka, ticketing, the display and the
notifier are killed (SIGKILL) and restarted one after another, and a display is started while
Redis is down; then what was lost, doubled or left behind, from Kafka, the boards and fakesmsc.

    uv run python bench/faults/run.py [--speed 60] [--hours 3] [--visitors 400] [--out results]

Needs `make infra`; kills and restarts the shared local Kafka and Redis (do not run it beside
other tests). Writes bench/faults/<out>.md and .json. The harness is bench/faults/harness.py;
tests/e2e/test_fault_day.py runs a short form of it in `make test`.
"""

import argparse
import asyncio
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from bench.faults.harness import failures, fault_run  # noqa: E402

OUT = Path(__file__).parent


def report(r: dict[str, Any]) -> str:
    day, c = r["day"], r["checks"]
    rows = [
        f"| {f['name']} | {f['back_at'] - f['down_at']:.1f} | {_s(f['to_call_s'])} | {_s(f['to_sms_s'])} |"
        for f in r["faults"]
    ]
    boards = [
        f"| {b['board']} | {b['connects']} | {b['calls']} | {len(b['missed'])} | {len(b['announced_twice'])} |"
        f" {'yes' if not (b['waiting_differs'] or b['counters_not_closed'] or b['recent_differs']) else 'NO'} |"
        for b in c["boards"]
    ]
    failed = failures(r)
    return "\n".join([
        "# Fault run: a simulated day through six faults",
        "",
        f"Command: `{r['command']}`  ",
        f"Run: {r['date']} on {r['machine']}; real Kafka, Redis and Kannel on 127.0.0.1, the three",
        "services as processes, the simulator, boards (SSE) and the fakesmsc watcher in the run's",
        "own process. Kafka and Redis are killed with `infra.sh kill` and started with",
        "`infra.sh up`; the services with SIGKILL and started again as `make up` would.",
        "",
        f"The day: {day['issued']} tickets ({day['with_phone']} with a phone), {day['calls']} calls,"
        f" {day['recalls']} recalls, {day['served']} served, {day['no_show']} no-shows,"
        f" {day['transfers']} transfers; the faults took the first {r['faults_s']} s. Requests sent"
        f" again by the kiosks and consoles (simulated) while a part was down: {day['retried'] or 'none'}.",
        "",
        "| fault | down (s) | back → first call on a board (s) | back → first SMS (s) |",
        "|---|---|---|---|",
        *rows,
        "",
        "\"Back\" is when the part's restart returned: Redis answering PING, Kafka ready, the",
        "service's /readyz 200 (for the display started while Redis was down: Redis answering).",
        "The target is ≤ 5 s for every fault.",
        "",
        "## Afterwards",
        "",
        f"- Acknowledged changes (every 2xx the simulator got) without their event in Kafka:"
        f" {len(c['lost'])}; events without such a change: {len(c['unexpected'])}.",
        f"- Events in Kafka: {c['events_in_kafka']}, of them copies sent again after a failure:"
        f" {c['copies_in_kafka']} (consumers drop them by sequence).",
        f"- Tickets called twice (two first calls at one service): {len(c['called_twice'])}.",
        f"- SMS due: {c['sms']['due']}, sent {c['sms']['sent']}; missing {len(c['sms']['missing'])},"
        f" twice {len(c['sms']['twice'])}; near-turn SMS twice: {len(c['sms']['near_turn_twice'])}.",
        f"- 5xx answers that were not problem JSON: {len(c['bare_5xx'])}. Dead letters:"
        f" {r['dead_letters']}.",
        f"- Log lines written during the run: {r['log_lines']}.",
        "",
        "| board | connections | calls received | missed | announced twice | final state = ticketing's |",
        "|---|---|---|---|---|---|",
        *boards,
        "",
        f"Result: {'every check held' if not failed else 'FAILED: ' + '; '.join(failed)}.",
        "",
    ])  # fmt: skip


def _s(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"


async def main(args: argparse.Namespace) -> None:
    result = await fault_run(args)
    result["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["machine"] = f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores"
    result["command"] = (
        f"uv run python bench/faults/run.py --speed {args.speed:g} --hours {args.hours:g}"
        f" --visitors {args.visitors} --seed {args.seed}"
        + (f" --out {args.out}" if args.out != "results" else "")
    )
    (OUT / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (OUT / f"{args.out}.md").write_text(report(result))
    print((OUT / f"{args.out}.md").read_text())


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--speed", type=float, default=60, help="simulated seconds per real second")
    p.add_argument("--hours", type=float, default=3.0, help="opening hours of the simulated day")
    p.add_argument("--visitors", type=int, default=400)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--boards", type=int, default=3, help="SSE clients watching the hall")
    p.add_argument("--pause", type=float, default=8.0, help="steady seconds before each fault")
    p.add_argument("--down", type=float, default=3.0, help="seconds each part stays down")
    p.add_argument("--out", default="results", help="results file names, without suffix")
    return p.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(arguments()))
