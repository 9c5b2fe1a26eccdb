"""The fault run: a simulated day as the load while the hall's parts are killed (SIGKILL) and
restarted by the project's own scripts, then a reckoning from Kafka, Redis, the boards and
fakesmsc. `bench/faults/run.py` runs it and writes the report; tests/e2e/test_fault_day.py
runs a short form of it in `make test`.

Faults, one after another, each once the hall has run steadily for a few seconds:
redis (SIGKILL, then `infra.sh up redis`), kafka (the same with Kafka), ticketing, display,
notifier (SIGKILL, then started again), and a display started while Redis is down. For each,
the time from the part being back (its restart returned: Redis answering, Kafka ready, the
service's /readyz 200) to the first call seen on a board, and to the first SMS.
"""

import argparse
import asyncio
import contextlib
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.faults.boards import Board, SmsWatch
from tests.support.cleanup import forget_sites
from tests.support.kafka import read_topic
from tests.support.processes import REPO, ServiceProcess, hall_services
from tools.simulator.cli import parse as simulator_args
from tools.simulator.cli import simulate
from tools.simulator.drive import Tally

KAFKA = "127.0.0.1:9092"
REDIS = "redis://127.0.0.1:6379/0"
FAULTS = ("redis", "kafka", "ticketing", "display", "notifier", "display-while-redis-down")
ACTION_EVENTS = {
    "issue": "antre.ticket.issued",
    "call-next": "antre.ticket.called",
    "recall": "antre.ticket.called",
    "start": "antre.ticket.service_started",
    "finish": "antre.ticket.completed",
    "transfer": "antre.ticket.transferred",
    "park": "antre.ticket.parked",
    "call-number": "antre.ticket.called",
}


@dataclass
class Fault:
    name: str
    down_at: float = 0.0
    back_at: float = 0.0
    to_call_s: float | None = None
    to_sms_s: float | None = None


@dataclass
class Hall:
    """The three services as processes on a topic, site and consumer groups of their own."""

    topic: str
    dlq: str
    site: str
    procs: dict[str, ServiceProcess] = field(default_factory=dict)

    @property
    def groups(self) -> list[str]:
        return [f"display-{self.site}", f"notifier-{self.site}"]


def infra(action: str, component: str) -> None:
    subprocess.run(
        ["bash", "deploy/local/infra.sh", action, component], cwd=REPO, check=True,
        capture_output=True,
    )  # fmt: skip


async def restart(hall: Hall, fault: Fault, down_s: float) -> None:
    """Kill the part, wait `down_s`, bring it back with the project's own scripts."""
    name = fault.name
    fault.down_at = time.monotonic()
    if name in ("redis", "kafka"):
        await asyncio.to_thread(infra, "kill", name)
        await asyncio.sleep(down_s)
        await asyncio.to_thread(infra, "up", name)
    elif name == "display-while-redis-down":
        hall.procs["display"].kill()
        await asyncio.to_thread(infra, "kill", "redis")
        hall.procs["display"].launch()  # starts, not ready: Redis is away
        await asyncio.sleep(down_s)
        await asyncio.to_thread(infra, "up", "redis")
    else:
        hall.procs[name].kill()
        await asyncio.sleep(down_s)
        await asyncio.to_thread(hall.procs[name].start, 60.0)
    fault.back_at = time.monotonic()


async def wait_drained(hall: Hall, limit_s: float = 120.0) -> None:
    """Until ticketing's outbox is empty, every consumer group committed every event, nothing
    is held, and the notifier has no SMS left to send."""
    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient(timeout=5) as http:
        while time.monotonic() < deadline:
            tk = await _samples(http, hall.procs["ticketing"].url)
            nt = await _samples(http, hall.procs["notifier"].url)
            ds = await _samples(http, hall.procs["display"].url)
            idle = (
                tk.get("antre_outbox_backlog") == 0
                and nt.get("notifier_outbox_backlog") == 0
                and all(v == 0 for k, v in {**nt, **ds}.items() if k.startswith("antre_consumer_held_events"))
                and all([await lag(hall.topic, g) == 0 for g in hall.groups])
            )  # fmt: skip
            if idle:
                return
            await asyncio.sleep(1.0)
    raise TimeoutError("the hall did not drain")


async def _samples(http: httpx.AsyncClient, url: str) -> dict[str, float]:
    out = {}
    with contextlib.suppress(httpx.HTTPError):
        for line in (await http.get(url + "/metrics")).text.splitlines():
            if not line.startswith("#") and " " in line:
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
    return out


async def lag(topic: str, group: str) -> int:
    admin, ends = (
        AIOKafkaAdminClient(bootstrap_servers=KAFKA),
        AIOKafkaConsumer(bootstrap_servers=KAFKA),
    )
    await admin.start()
    await ends.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        parts = [TopicPartition(topic, p) for p in range(6)]
        end = await ends.end_offsets(parts)
        done = {tp: meta.offset for tp, meta in committed.items() if tp.topic == topic}
        return sum(end[tp] - max(0, done.get(tp, 0)) for tp in parts)
    finally:
        await ends.stop()
        await admin.close()


def reckon(
    tally: Tally, events: list[dict[str, Any]], boards: list[Board], truth: dict[str, Any],
    sms: SmsWatch, stream_calls: set[tuple[str, str]],
) -> dict[str, Any]:  # fmt: skip
    """What the checks found: each list empty (each count 0) when all is well."""
    unique = {e["id"]: e for e in events}.values()  # a copy sent again keeps its id
    made = Counter(
        (e["type"], e["subject"], e["data"].get("recall", False))
        for e in unique if e["type"] in ACTION_EVENTS.values()
    )  # fmt: skip
    accepted = Counter(
        (ACTION_EVENTS[action], ticket, action == "recall") for action, ticket in tally.accepted
    )
    # Taken from the waiting lists twice is the fault; a parked ticket or a returning no-show
    # called back by number is called again on purpose.
    first_calls = Counter(
        (e["subject"], e["data"]["service_id"])
        for e in unique if e["type"] == "antre.ticket.called" and not e["data"]["recall"]
        and e["data"].get("how", "next") in ("next", "number")
    )  # fmt: skip
    board_views = []
    for b in boards:
        announced = Counter((c.number, c.at) for c in b.calls)
        board_views.append({
            "board": b.name,
            "connects": b.connects,
            "calls": len(b.calls),
            "missed": sorted(f"{t} {at}" for t, at in stream_calls - set(announced)),
            "announced_twice": sorted(
                f"{t} {at} {[(round(c.seen, 1), c.entry) for c in b.calls if (c.number, c.at) == (t, at)]}"
                for (t, at), k in announced.items() if k > 1
            ),
            "waiting_differs": {s: (n, truth["waiting"].get(s)) for s, n in b.waiting.items() if n != truth["waiting"].get(s)},
            "counters_not_closed": sorted(c for c, t in b.counters.items() if t.get("state") != "closed"),
            "recent_differs": _recent_differs(b.recent, truth["recent"]),
        })  # fmt: skip
    return {
        "events_in_kafka": len(events),
        "copies_in_kafka": len(events) - len(unique),
        "lost": sorted(f"{t} {s}" for (t, s, _), n in (accepted - made).items() for _ in range(n)),
        "unexpected": sorted(f"{t} {s}" for (t, s, _), n in (made - accepted).items() for _ in range(n)),
        "called_twice": sorted(f"{t} at {s}" for (t, s), n in first_calls.items() if n > 1),
        "boards": board_views,
        "sms": sms_check(tally, unique, sms),
        "bare_5xx": tally.bare_5xx + [x for b in boards for x in b.bare_5xx],
    }  # fmt: skip


def _recent_differs(board: list[dict[str, Any]], truth: list[dict[str, Any]]) -> list[Any]:
    """The board's last six calls and the display's, (number, at) each, when they differ."""
    mine = [(c["number"], c["at"]) for c in board[:6]]
    theirs = [(c["number"], c["at"]) for c in truth[:6]]
    return [] if [n for n, _ in mine] == [n for n, _ in theirs] else [mine, theirs]


def sms_check(tally: Tally, events: Any, sms: SmsWatch) -> dict[str, Any]:
    """Every SMS due, exactly once: 'issued' per ticket with a phone, 'called' per first call
    of one, 'survey' per one served; 'near_turn' at most once per ticket and service.

    The near-turn SMS does not name the service (only its agency), so a ticket may have as many
    as the services it waited for: where it was issued and each one it was transferred to."""
    to = {"+62" + phone.removeprefix("0"): ticket for ticket, phone in tally.phone_of.items()}
    due: Counter[tuple[str, str]] = Counter()
    waits: dict[str, set[str]] = {}
    for e in events:
        ticket = e["subject"]
        if ticket not in tally.phone_of:
            continue
        if e["type"] in ("antre.ticket.issued", "antre.ticket.transferred"):
            waits.setdefault(ticket, set()).add(e["data"]["service_id"])
        if e["type"] == "antre.ticket.issued":
            due[(ticket, "issued")] += 1
        elif e["type"] == "antre.ticket.called" and not e["data"]["recall"]:
            due[(ticket, "called")] += 1
        elif e["type"] == "antre.ticket.completed" and e["data"]["outcome"] == "served":
            due[(ticket, "survey")] = 1
    got: Counter[tuple[str, str]] = Counter()
    near: Counter[str] = Counter()
    for m in sms.seen:
        ticket = to.get(m.to)
        if ticket is None:
            continue
        kind = ("near_turn" if "giliran Anda" in m.text else "called" if " dipanggil." in m.text
                else "survey" if m.text.startswith("Terima kasih") else "issued")  # fmt: skip
        if kind == "near_turn":
            near[ticket] += 1
        else:
            got[(ticket, kind)] += 1
    return {
        "due": sum(due.values()),
        "sent": sum(got.values()),
        "missing": sorted(f"{t} {k}" for (t, k), n in (due - got).items()),
        "twice": sorted(f"{t} {k}" for (t, k), n in (got - due).items()),
        "near_turn_twice": sorted(t for t, n in near.items() if n > max(1, len(waits.get(t, ())))),
    }


async def fault_run(args: argparse.Namespace) -> dict[str, Any]:
    """Play the day, make the faults, drain, reckon. Everything the report needs."""
    suffix = uuid.uuid4().hex[:8]
    site = f"fault{suffix}"
    hall = Hall(f"faults.{suffix}", f"faults.{suffix}.dlq", site)
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    await admin.create_topics([NewTopic(hall.topic, 6, 1), NewTopic(hall.dlq, 1, 1)])
    # Short SMS leases: an SMS in doubt after a notifier kill is settled within seconds.
    hall.procs = hall_services(
        hall.topic, hall.dlq, site, extra={"notifier": {"NOTIFIER_LEASE_S": "3"}}
    )
    logs_at = {}
    watchers: list[asyncio.Task[None]] = []
    try:
        for proc in hall.procs.values():
            proc.start()
            logs_at[proc.package] = proc.log_path.stat().st_size
        boards = [Board(hall.procs["display"].url, f"board-{i}") for i in range(args.boards)]
        sms = SmsWatch()
        watchers = [asyncio.create_task(b.run()) for b in boards]
        watchers.append(asyncio.create_task(sms.run()))
        sim = simulator_args([
            "--url", hall.procs["ticketing"].url, "--speed", str(args.speed), "--hours",
            str(args.hours), "--visitors", str(args.visitors), "--seed", str(args.seed), "--quiet",
        ])  # fmt: skip
        started = time.monotonic()
        day = asyncio.create_task(simulate(sim))
        faults = [Fault(name) for name in FAULTS]
        for fault in faults:
            await asyncio.sleep(args.pause)
            if day.done():
                raise RuntimeError("the day ended before the faults were over")
            await restart(hall, fault, args.down)
        faults_done = time.monotonic()
        tally: Tally = await day
        await wait_drained(hall)
        await asyncio.sleep(4)  # past the notifier's lease: an SMS in doubt would come back now
        events = await read_topic(KAFKA, hall.topic)
        dead = await read_topic(KAFKA, hall.dlq, idle_ms=500)
        async with httpx.AsyncClient(timeout=10) as http:
            snap = (await http.get(hall.procs["display"].url + "/api/v1/board")).json()
            catalog = (await http.get(hall.procs["ticketing"].url + "/api/v1/catalog")).json()
        truth = {"waiting": {s["id"]: s["waiting"] for s in catalog["services"]},
                 "recent": snap["recent"]}  # fmt: skip
        stream_calls = await board_stream_calls(site)
        for f in faults:
            f.to_call_s = _first_after([c.seen for b in boards for c in b.calls], f.back_at)
            f.to_sms_s = _first_after([m.at for m in sms.seen], f.back_at)
        log_lines = {p.package: _lines_since(p, logs_at[p.package]) for p in hall.procs.values()}
        return {
            "day": tally.summary(),
            "faults": [f.__dict__ for f in faults],
            "faults_s": round(faults_done - started, 1),
            "display_snapshot_waiting_differs": {
                s["id"]: s["waiting"]
                for s in snap["services"]
                if s["waiting"] != truth["waiting"][s["id"]]
            },
            "display_counters_not_closed": [
                c["id"] for c in snap["counters"] if c["state"] != "closed"
            ],
            "dead_letters": len(dead),
            "log_lines": log_lines,
            "checks": reckon(tally, events, boards, truth, sms, stream_calls),
        }
    finally:
        for w in watchers:
            w.cancel()
        for proc in hall.procs.values():
            proc.stop()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(infra, "up", "kafka")
            await asyncio.to_thread(infra, "up", "redis")
        await admin.delete_topics([hall.topic, hall.dlq])
        await admin.close()
        await forget_sites(REDIS, site)


async def board_stream_calls(site: str) -> set[tuple[str, str]]:
    """(number, call time) of every call the display appended to its board stream (boards
    carry numbers, never ticket ids; a number is unique within the day)."""
    redis = aioredis.Redis.from_url(REDIS)
    try:
        entries: Any = await redis.xrange(f"{{{site}}}:display:board")
    finally:
        await redis.aclose()
    calls = [orjson.loads(fields[b"u"]).get("call") for _, fields in entries]
    return {(c["number"], c["at"]) for c in calls if c}


def _first_after(times: list[float], back_at: float) -> float | None:
    after = [t for t in times if t >= back_at]
    return round(min(after) - back_at, 2) if after else None


def _lines_since(proc: ServiceProcess, offset: int) -> int:
    with open(proc.log_path, "rb") as f:
        f.seek(offset)
        return f.read().count(b"\n")


def failures(result: dict[str, Any]) -> list[str]:
    """Each check that did not hold, in words (empty: all held)."""
    c, out = result["checks"], []
    for name in ("lost", "unexpected", "called_twice", "bare_5xx"):
        if c[name]:
            out.append(f"{name}: {c[name][:10]}")
    for b in c["boards"]:
        for name in ("announced_twice", "missed", "waiting_differs", "counters_not_closed"):
            if b[name]:
                out.append(f"{b['board']} {name}: {b[name]}")
        if b["recent_differs"]:
            board, display = b["recent_differs"]
            out.append(
                f"{b['board']}: its recent calls {board} differ from the display's {display}"
            )
    for name in ("missing", "twice", "near_turn_twice"):
        if c["sms"][name]:
            out.append(f"sms {name}: {c['sms'][name][:10]}")
    if result["display_snapshot_waiting_differs"] or result["display_counters_not_closed"]:
        out.append("the display's board differs from ticketing's state")
    if result["day"]["errors"]:
        out.append(f"the simulator was refused: {result['day']['errors']}")
    if result["dead_letters"]:
        out.append(f"{result['dead_letters']} dead letters")
    for f in result["faults"]:
        if f["to_call_s"] is None:
            out.append(f"no call seen on a board after {f['name']} was back")
    return out
