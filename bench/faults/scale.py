"""The scale-out fault run: the hall as a deployment beyond one machine would run it, under a
simulated day, while one of each part is killed (SIGKILL).

- Kafka: three brokers (deploy/local/infra.sh with KAFKA_NODES=3, in a state directory of the
  run's own), topics with three replicas and min.insync.replicas 2, every producer acks=all.
- Redis: one per service, ticketing's the `redis` argument (a Redis Cluster, or one server).
- Two processes of each service: the ticketing pair behind one address (a round-robin proxy,
  as a Service would be), the display pair behind another (each with its own boards, fed
  through the shared projection), the notifier pair in one consumer group.

Faults, one after another once the hall has run steadily for a few seconds: the leader broker
of a partition of the queue topic; the ticketing process that holds the outbox relay's lease;
a display; a notifier; and, with a Redis Cluster, the master holding the site's slot (its
replica is promoted). Each part comes back after `down` seconds (the broker through infra.sh,
a service started again). Measured per fault: from the kill, and from the part's return, to the
first call seen on a board. Reckoned afterwards as in bench/faults/harness.py.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from antre_contracts.redis_pool import redis_client

from bench.faults.boards import Board, SmsWatch
from bench.faults.harness import _first_after, _samples, reckon
from tests.support.kafka import read_topic
from tests.support.processes import REPO, ServiceProcess, free_port, hall_services
from tests.support.proxy import RoundRobin
from tools.simulator.cli import parse as simulator_args
from tools.simulator.cli import simulate
from tools.simulator.drive import Tally

REPLICAS = 2


@dataclass
class KafkaCluster:
    """Three brokers started by the project's own script, in a state directory of their own."""

    home: Path
    port: int  # node N listens on port + 2(N-1), its controller one above

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.port + 2 * n}" for n in range(3))

    def infra(self, action: str) -> None:
        env = {**os.environ, "ANTRE_VAR": str(self.home), "KAFKA_NODES": "3",
               "KAFKA_PORT": str(self.port)}  # fmt: skip
        subprocess.run(["bash", "deploy/local/infra.sh", action, "kafka"], cwd=REPO, env=env,
                       check=True, capture_output=True)  # fmt: skip

    def kill(self, node: int) -> None:
        pid = int((self.home / "run" / f"kafka-{node}.pid").read_text())
        os.kill(pid, signal.SIGKILL)


def free_port_block(size: int = 6) -> int:
    """A port with the `size` ports from it free (the cluster's three client and controller
    ports)."""
    for _ in range(50):
        base = free_port()
        if base + size < 65535 and all(_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no block of free ports")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Fault:
    name: str
    down_at: float = 0.0
    back_at: float = 0.0
    detail: str = ""
    to_call_after_kill_s: float | None = None
    to_call_s: float | None = None  # from the part's return


@dataclass
class ScaledHall:
    topic: str
    dlq: str
    site: str
    kafka: KafkaCluster
    redis_urls: dict[str, str]
    procs: dict[str, list[ServiceProcess]] = field(default_factory=dict)
    front: dict[str, RoundRobin] = field(default_factory=dict)

    @property
    def groups(self) -> list[str]:
        return [f"display-{self.site}", f"notifier-{self.site}"]

    def all_procs(self) -> list[ServiceProcess]:
        return [p for procs in self.procs.values() for p in procs]


def build(hall: ScaledHall, extra: dict[str, dict[str, str]] | None = None) -> None:
    for i in range(REPLICAS):
        env = {
            name: {
                f"{name.upper()}_KAFKA_BOOTSTRAP": hall.kafka.bootstrap,
                f"{name.upper()}_REDIS_URL": hall.redis_urls[name],
                **(extra or {}).get(name, {}),
            }
            for name in ("ticketing", "display", "notifier")
        }
        # Static membership ids must differ between replicas (one id fences the other).
        env["display"]["DISPLAY_GROUP_INSTANCE_ID"] = f"display-{hall.site}-{i + 1}"
        env["notifier"]["NOTIFIER_GROUP_INSTANCE_ID"] = f"notifier-{hall.site}-{i + 1}"
        env["notifier"]["NOTIFIER_LEASE_S"] = "3"  # an SMS in doubt after a kill: settled soon
        for name, proc in hall_services(hall.topic, hall.dlq, hall.site, extra=env).items():
            hall.procs.setdefault(name, []).append(proc)


async def leader_of(bootstrap: str, topic: str, partition: int = 0) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        return int(
            next(p["leader"] for p in described["partitions"] if p["partition"] == partition)
        )
    finally:
        await admin.close()


async def relay_leader(hall: ScaledHall) -> ServiceProcess:
    """The ticketing process holding the outbox relay's lease (its owner id names its pid)."""
    redis = redis_for(hall.redis_urls["ticketing"])
    try:
        owner = await redis.get(f"{{{hall.site}}}:tk:outbox:relay-lease")
    finally:
        await redis.aclose()
    pid = int(owner.decode().split("-")[-2]) if owner else -1
    procs = hall.procs["ticketing"]
    return next((p for p in procs if p.proc is not None and p.proc.pid == pid), procs[0])


def redis_for(url: str) -> Any:
    """A client for one Redis or (`redis+cluster://`) a Redis Cluster, as the services make."""
    return redis_client(url, 8)


Killer = Callable[["ScaledHall"], Awaitable[str]]
"""Kills the Redis Cluster master that serves the hall's site and waits for its replica to
take over; says which."""


async def make_fault(hall: ScaledHall, fault: Fault, down_s: float,
                     redis_master: Killer | None) -> None:  # fmt: skip
    fault.down_at = time.monotonic()
    if fault.name == "kafka-leader":
        node = await leader_of(hall.kafka.bootstrap, hall.topic)
        hall.kafka.kill(node)
        fault.detail = f"kafka-{node}, leader of partition 0"
        await asyncio.sleep(down_s)
        await asyncio.to_thread(hall.kafka.infra, "up")
    elif fault.name == "redis-master":
        assert redis_master is not None
        fault.detail = await redis_master(hall)
    else:
        proc = await relay_leader(hall) if fault.name == "ticketing" else hall.procs[fault.name][0]
        fault.detail = f"{fault.name} on port {proc.port}"
        proc.kill()
        await asyncio.sleep(down_s)
        await asyncio.to_thread(proc.start, 60.0)
    fault.back_at = time.monotonic()


async def lag(bootstrap: str, topic: str, group: str) -> int:
    admin, ends = (
        AIOKafkaAdminClient(bootstrap_servers=bootstrap),
        AIOKafkaConsumer(bootstrap_servers=bootstrap),
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


async def wait_drained(hall: ScaledHall, limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient(timeout=5) as http:
        while time.monotonic() < deadline:
            samples = {p.url: await _samples(http, p.url) for p in hall.all_procs()}
            tk = [samples[p.url] for p in hall.procs["ticketing"]]
            nt = [samples[p.url] for p in hall.procs["notifier"]]
            consumers = [samples[p.url] for p in hall.procs["notifier"] + hall.procs["display"]]
            idle = (
                all(s.get("antre_outbox_backlog") == 0 for s in tk)
                and all(s.get("notifier_outbox_backlog") == 0 for s in nt)
                and all(v == 0 for s in consumers for k, v in s.items()
                        if k.startswith("antre_consumer_held_events"))
                and all([await lag(hall.kafka.bootstrap, hall.topic, g) == 0 for g in hall.groups])
            )  # fmt: skip
            if idle:
                return
            await asyncio.sleep(1.0)
    raise TimeoutError("the hall did not drain")


async def board_stream_calls(hall: ScaledHall) -> set[tuple[str, str]]:
    redis = aioredis.Redis.from_url(hall.redis_urls["display"])
    try:
        entries: Any = await redis.xrange(f"{{{hall.site}}}:display:board")
    finally:
        await redis.aclose()
    calls = [orjson.loads(fields[b"u"]).get("call") for _, fields in entries]
    return {(c["number"], c["at"]) for c in calls if c}


async def scale_run(
    args: Any, home: Path, redis_urls: dict[str, str], redis_master: Killer | None = None
) -> dict[str, Any]:
    """Start the cluster and the replicas, play the day with the faults, drain, reckon."""
    kafka = KafkaCluster(home / "kafka", free_port_block())
    suffix = uuid.uuid4().hex[:8]
    hall = ScaledHall(f"scale.{suffix}", f"scale.{suffix}.dlq", f"scale{suffix}", kafka, redis_urls)
    await asyncio.to_thread(kafka.infra, "up")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    isr = {"min.insync.replicas": "2"}
    await admin.create_topics([NewTopic(hall.topic, 6, 3, topic_configs=isr),
                               NewTopic(hall.dlq, 1, 3, topic_configs=isr)])  # fmt: skip
    build(hall)
    watchers: list[asyncio.Task[None]] = []
    try:
        for proc in hall.all_procs():
            await asyncio.to_thread(proc.start, 60.0)
        for name in ("ticketing", "display"):
            hall.front[name] = await RoundRobin([p.port for p in hall.procs[name]]).start()
        boards = [Board(hall.front["display"].url, f"board-{i}") for i in range(args.boards)]
        sms = SmsWatch()
        watchers = [asyncio.create_task(b.run()) for b in boards]
        watchers.append(asyncio.create_task(sms.run()))
        sim = simulator_args([
            "--url", hall.front["ticketing"].url, "--speed", str(args.speed), "--hours",
            str(args.hours), "--visitors", str(args.visitors), "--seed", str(args.seed), "--quiet",
        ])  # fmt: skip
        day = asyncio.create_task(simulate(sim))
        names = ["kafka-leader", "ticketing", "display", "notifier"]
        if redis_master is not None:
            names.append("redis-master")
        faults = [Fault(name) for name in names]
        for fault in faults:
            await asyncio.sleep(args.pause)
            if day.done():
                raise RuntimeError("the day ended before the faults were over")
            await make_fault(hall, fault, args.down, redis_master)
        tally: Tally = await day
        await wait_drained(hall)
        await asyncio.sleep(4)  # past the notifier's lease: an SMS in doubt would come back now
        events = await read_topic(kafka.bootstrap, hall.topic)
        dead = await read_topic(kafka.bootstrap, hall.dlq, idle_ms=500)
        async with httpx.AsyncClient(timeout=10) as http:
            snaps = [
                (await http.get(p.url + "/api/v1/board")).json() for p in hall.procs["display"]
            ]
            catalog = (await http.get(hall.front["ticketing"].url + "/api/v1/catalog")).json()
        truth = {"waiting": {s["id"]: s["waiting"] for s in catalog["services"]},
                 "recent": snaps[0]["recent"]}  # fmt: skip
        stream_calls = await board_stream_calls(hall)
        seen = [c.seen for b in boards for c in b.calls]
        for f in faults:
            f.to_call_after_kill_s = _first_after(seen, f.down_at)
            f.to_call_s = _first_after(seen, f.back_at)
        return {
            "day": tally.summary(),
            "faults": [f.__dict__ for f in faults],
            "displays_differ": [
                s["id"]
                for snap in snaps
                for s in snap["services"]
                if s["waiting"] != truth["waiting"][s["id"]]
            ]
            + [c["id"] for snap in snaps for c in snap["counters"] if c["state"] != "closed"],
            # Each answers its own clock ("now"): the rest must be the same board.
            "displays_agree": [{**x, "now": None} for x in snaps[0:1]]
            == [{**x, "now": None} for x in snaps[1:2]],
            "dead_letters": len(dead),
            "checks": reckon(tally, events, boards, truth, sms, stream_calls),
        }
    finally:
        for w in watchers:
            w.cancel()
        for front in hall.front.values():
            await front.stop()
        for proc in hall.all_procs():
            proc.stop()
        await admin.close()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(kafka.infra, "down")


def failures(result: dict[str, Any]) -> list[str]:
    """Each check that did not hold, in words (empty: all held)."""
    from bench.faults.harness import failures as single

    shaped = {**result, "display_snapshot_waiting_differs": result["displays_differ"],
              "display_counters_not_closed": []}  # fmt: skip
    out = single(shaped)
    if not result["displays_agree"]:
        out.append("the two displays show different boards")
    return out
