"""Ticketing benchmark: issue throughput with Kafka acks, call-next latency, RSS, and the floor.

    uv run python bench/ticketing/run.py [--seconds 10] [--connections 64] [--counters 50]
    uv run python bench/ticketing/run.py --processes 2 --out results-2-processes

--processes N runs N ticketing processes on one site and one Redis (the scale-out layout);
the load's connections are dealt to them in turn, as a load balancer in front would.

One run on this machine with everything local (real Kafka, real Redis, ticketing as a process
with one web worker). Writes bench/ticketing/results.md and results.json.

- issue rate: POST /api/v1/tickets on keep-alive connections for --seconds; the rate counts
  the tickets whose events Kafka acknowledged: issued ÷ (first request → outbox empty).
- call-next latency: --counters counters open, one officer per counter pressing call-next
  then finish in a loop, all at once; the latency of each call-next request.
- RSS: the ticketing process, current and peak (VmHWM).
- floor: the same Redis function and the same relay to Kafka, driven in-process without HTTP
  and without the service, at the same concurrency.
"""

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from antre_contracts import load_catalog  # noqa: E402
from antre_contracts.supervise import Supervisor  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402
from ticketing.config import Settings  # noqa: E402
from ticketing.domain.clock import SystemClock  # noqa: E402
from ticketing.kafka import KafkaLink  # noqa: E402
from ticketing.relay import OutboxRelay  # noqa: E402
from ticketing.store.queues import QueueStore  # noqa: E402

from bench.support.http import Conn, percentile, rss_mb  # noqa: E402
from tests.support.cleanup import forget_site  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402

KAFKA = os.environ.get("BENCH_KAFKA", "127.0.0.1:9092")  # the cluster: see bench/display
REPLICAS = int(os.environ.get("BENCH_KAFKA_REPLICAS", "1"))
REDIS = "redis://127.0.0.1:6379/0"
CATALOG = REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml"
TOKEN = "demo-koordinator"
KIOSK = {"Authorization": "Bearer demo-kiosk-01"}
PORT = 18011
PORTS = [PORT]
"""The ticketing processes' ports (one each; main() sets them from --processes)."""


def bench_catalog(counters: int, path: Path) -> Path:
    """The shipped catalog with `counters` counters sharing its services."""
    text = CATALOG.read_text().split("[[counters]]")[0]
    # No daily quotas or last-ticket times: the load must never be refused.
    text = "\n".join(
        line for line in text.splitlines() if not line.startswith(("daily_quota", "last_ticket"))
    )
    services = [s.id for s in load_catalog(CATALOG).services]
    ids = []
    for i in range(1, counters + 1):
        mine = [services[i % len(services)], services[(i + 5) % len(services)]]
        ids.append(f"loket-{i}")
        text += (
            f'[[counters]]\nid = "loket-{i}"\nnumber = {i}\nname = "Loket {i}"\nzone = "a"\n'
            f'services = ["{mine[0]}", "{mine[1]}"]\n\n'
        )
    import hashlib

    text += (
        '[[officers]]\nid = "koordinator"\nname = "Koordinator"\n'
        f"counters = {json.dumps(ids)}\n"
        f'token_sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"\n\n'
        '[[kiosks]]\nid = "kios-1"\nname = "Kios 1"\n'
        f'token_sha256 = "{hashlib.sha256(b"demo-kiosk-01").hexdigest()}"\n'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


async def new_topic(admin: AIOKafkaAdminClient, name: str) -> str:
    topic = f"bench.{uuid.uuid4().hex[:8]}.{name}"
    isr = {"min.insync.replicas": "2"} if REPLICAS > 1 else {}
    await admin.create_topics([NewTopic(topic, 6, REPLICAS, topic_configs=isr)])
    return topic


async def wait_drained(redis: aioredis.Redis, outbox: str) -> float:
    while await redis.xlen(outbox) > 0:
        await asyncio.sleep(0.005)
    return time.perf_counter()


async def issue_load(
    connections: int, seconds: float, services: list[str], pid: int
) -> tuple[int, float, float]:
    """(tickets issued, start time, peak RSS MB seen) over `seconds` of keep-alive POSTs."""
    conns = [await Conn("127.0.0.1", PORTS[i % len(PORTS)]).open() for i in range(connections)]
    issued, peak = 0, 0.0
    start = time.perf_counter()
    end = start + seconds

    async def worker(conn: Conn, rng: random.Random) -> None:
        nonlocal issued
        while time.perf_counter() < end:
            body = {"service_id": rng.choice(services), "priority": "regular"}
            status, text = await conn.request("POST", "/api/v1/tickets", body, KIOSK)
            if status != 201:
                raise RuntimeError(f"issue refused: {status} {text[:200]!r}")
            issued += 1

    async def sample_rss() -> None:
        nonlocal peak
        while time.perf_counter() < end:
            peak = max(peak, rss_mb(pid)[0])
            await asyncio.sleep(0.5)

    await asyncio.gather(*(worker(c, random.Random(i)) for i, c in enumerate(conns)), sample_rss())
    for c in conns:
        await c.close()
    return issued, start, peak


async def call_next_load(counters: int, seconds: float) -> list[float]:
    """Latencies (ms) of call-next with `counters` officers pressing at once."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    conns = [await Conn("127.0.0.1", PORTS[i % len(PORTS)]).open() for i in range(counters)]
    for i, c in enumerate(conns, start=1):
        status, text = await c.request("POST", f"/api/v1/counters/loket-{i}/open", None, auth)
        assert status == 200, text
    latencies: list[float] = []
    end = time.perf_counter() + seconds

    async def officer(i: int, conn: Conn) -> None:
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            status, text = await conn.request(
                "POST", f"/api/v1/counters/loket-{i}/call-next", None, auth
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                raise RuntimeError(f"call-next refused: {status} {text[:200]!r}")
            status, text = await conn.request(
                "POST", f"/api/v1/counters/loket-{i}/finish", None, auth
            )
            assert status == 200, text

    await asyncio.gather(*(officer(i, c) for i, c in enumerate(conns, start=1)))
    for c in conns:
        await c.close()
    return latencies


async def call_next_bursts(counters: int, rounds: int) -> list[float]:
    """Latencies (ms) when all `counters` officers press call-next at the same instant,
    `rounds` times (each round: all call, all finish, a 20 ms pause)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    services = [s.id for s in load_catalog(CATALOG).services]
    kiosk = await Conn("127.0.0.1", PORT).open()
    for i in range(1, counters + 1):  # enough waiting for every round of every counter
        for _ in range(rounds):
            body = {"service_id": services[i % len(services)]}
            status, text = await kiosk.request("POST", "/api/v1/tickets", body, KIOSK)
            assert status == 201, text
    await kiosk.close()
    conns = [await Conn("127.0.0.1", PORTS[i % len(PORTS)]).open() for i in range(counters)]
    latencies: list[float] = []

    async def press(i: int, conn: Conn, action: str) -> None:
        t0 = time.perf_counter()
        status, text = await conn.request(
            "POST", f"/api/v1/counters/loket-{i}/{action}", None, auth
        )
        if action == "call-next":
            latencies.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"{action} refused: {status} {text[:200]!r}")

    for _ in range(rounds):
        await asyncio.gather(*(press(i, c, "call-next") for i, c in enumerate(conns, start=1)))
        await asyncio.gather(*(press(i, c, "finish") for i, c in enumerate(conns, start=1)))
        await asyncio.sleep(0.02)
    for c in conns:
        await c.close()
    return latencies


async def floor(
    topic: str, connections: int, seconds: float, services: list[str], catalog_path: Path
) -> float:
    """Issued-and-acked per second through the same Redis function and relay, without HTTP."""
    catalog = load_catalog(catalog_path)
    redis = aioredis.Redis.from_url(REDIS, socket_timeout=5)
    site = "bf" + uuid.uuid4().hex[:8]
    store = QueueStore(redis, catalog, site, SystemClock())
    await store.load()
    kafka = KafkaLink(Settings(topic=topic, kafka_bootstrap=KAFKA, redis_url=REDIS))
    relay = OutboxRelay(redis, store.outbox, kafka)
    tasks = Supervisor(CollectorRegistry())
    for name, loop in (("producer", kafka.keep_connected), ("lease", relay.hold_lease),
                       ("relay", relay.run)):  # fmt: skip
        tasks.spawn(name, loop)
    while tasks.down():
        await asyncio.sleep(0.05)
    issued = 0
    start = time.perf_counter()
    end = start + seconds

    async def worker(rng: random.Random) -> None:
        nonlocal issued
        while time.perf_counter() < end:
            await store.issue(
                store.call(), rng.choice(services), "regular", "kiosk", False, None, None
            )
            issued += 1

    await asyncio.gather(*(worker(random.Random(i)) for i in range(connections)))
    done = await wait_drained(redis, store.outbox)
    await tasks.stop()
    await relay.stop()
    await kafka.stop()
    await forget_site(redis, site)
    await redis.aclose()
    return issued / (done - start)


async def main(args: argparse.Namespace) -> None:
    """--runs whole runs; the table gives each figure's median and its range over the runs."""
    PORTS[:] = [PORT + i for i in range(args.processes)]
    runs = []
    for i in range(args.runs):
        print(f"run {i + 1} of {args.runs}", flush=True)
        runs.append(await one_run(args))
    write(runs, args)


async def one_run(args: argparse.Namespace) -> dict[str, Any]:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    topic, floor_topic = await new_topic(admin, "queue.events"), await new_topic(admin, "floor")
    services = [s.id for s in load_catalog(CATALOG).services]
    site = "bt" + uuid.uuid4().hex[:8]
    catalog = bench_catalog(args.counters, REPO / "var" / "bench" / "catalog.toml")
    env = {
        "TICKETING_SITE_ID": site,
        "TICKETING_KAFKA_BOOTSTRAP": KAFKA,
        "TICKETING_TOPIC": topic,
        "TICKETING_PORT": str(PORT),
        "TICKETING_CATALOG_PATH": str(catalog),
        "TICKETING_ENFORCE_HOURS": "false",
        "TICKETING_KIOSK_RATE": "100000000/minute",
    }
    redis = aioredis.Redis.from_url(REDIS)
    outbox = f"{{{site}}}:tk:outbox"
    others = [ServiceProcess("ticketing", port, {**env, "TICKETING_PORT": str(port)})
              for port in PORTS[1:]]  # fmt: skip
    with contextlib.ExitStack() as stack, ServiceProcess("ticketing", PORT, env) as svc:
        for other in others:
            stack.enter_context(other)
        assert svc.proc is not None
        pid = svc.proc.pid
        await issue_load(8, 1.0, services, pid)  # warm-up
        await wait_drained(redis, outbox)
        issued, start, peak_issue = await issue_load(args.connections, args.seconds, services, pid)
        http_done = time.perf_counter()
        acked = await wait_drained(redis, outbox)
        latencies = await call_next_load(args.counters, args.seconds)
        bursts = await call_next_bursts(args.counters, args.rounds)
        rss_now, rss_peak = rss_mb(pid)
    floor_rate = await floor(floor_topic, args.connections, args.seconds, services, catalog)
    await admin.delete_topics([topic, floor_topic])
    await admin.close()
    await forget_site(redis, site)
    await redis.aclose()

    rate = issued / (acked - start)
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, 2 cores",
        "seconds": args.seconds,
        "ticketing_processes": len(PORTS),
        "kafka": f"{KAFKA} (replication factor {REPLICAS})",
        "connections": args.connections,
        "counters": args.counters,
        "tickets_issued": issued,
        "issue_rate_http_per_s": round(issued / (http_done - start)),
        "issue_rate_acked_per_s": round(rate),
        "floor_rate_acked_per_s": round(floor_rate),
        "share_of_floor": round(rate / floor_rate, 3),
        "call_next_requests": len(latencies),
        "call_next_p50_ms": round(percentile(latencies, 50), 2),
        "call_next_p99_ms": round(percentile(latencies, 99), 2),
        "burst_rounds": args.rounds,
        "burst_p50_ms": round(percentile(bursts, 50), 2),
        "burst_p99_ms": round(percentile(bursts, 99), 2),
        "rss_mb_during_issue_peak": round(peak_issue, 1),
        "rss_mb_end": round(rss_now, 1),
        "rss_mb_peak_vmhwm": round(rss_peak, 1),
    }
    return results


def write(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    here = Path(__file__).parent
    (here / f"{args.out}.json").write_text(json.dumps(runs, indent=2) + "\n")
    r: dict[str, Any] = {}
    for key, value in runs[-1].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            values = sorted(run[key] for run in runs)
            mid = statistics.median(values)
            r[key] = round(mid, 3) if isinstance(mid, float) else mid
            low, high = (
                f"{v:.0%}" if key == "share_of_floor" else f"{v:,}" for v in (values[0], values[-1])
            )
            r[key + "_range"] = f"{low}–{high}" if len(values) > 1 else ""
        else:
            r[key] = value
    ok = {
        "rate": r["issue_rate_acked_per_s"] >= 2000,  # type: ignore[operator]
        "share": r["share_of_floor"] >= 0.5,  # type: ignore[operator]
        "p99": r["call_next_p99_ms"] <= 20,  # type: ignore[operator]
        "burst": r["burst_p99_ms"] <= 20,  # type: ignore[operator]
        "rss": r["rss_mb_peak_vmhwm"] <= 150,  # type: ignore[operator]
    }
    mark = {True: "met", False: "**missed**"}
    cmd = (
        f"uv run python bench/ticketing/run.py --seconds {args.seconds:g} "
        f"--connections {args.connections} --counters {args.counters} --rounds {args.rounds} "
        f"--runs {args.runs}"
        + (f" --processes {args.processes} --out {args.out}" if args.processes > 1 else "")
    )

    def cell(key: str, unit: str = "") -> str:
        spread = r[key + "_range"]
        return f"{r[key]:,}{unit}" + (f" (runs: {spread}{unit})" if spread else "")

    (here / f"{args.out}.md").write_text(f"""# Ticketing benchmark

Command: `{cmd}`
Run: {r["when"]} on {r["machine"]}; real Kafka 4.4 and Redis 7 on 127.0.0.1, ticketing as
{r["ticketing_processes"]} process(es) (one uvicorn worker each) on one site and one Redis, load
from one asyncio process on keep-alive connections (dealt to the processes in turn). Kafka:
{r["kafka"]}.
Each figure is the median of {len(runs)} runs, with the lowest and highest in brackets: on this
2-core machine one run can differ from the next by a third (results.json has every run).

| measure | result | target | |
|---|---|---|---|
| tickets issued through HTTP, events acked by Kafka | {cell("issue_rate_acked_per_s", "/s")} | ≥ 2,000/s | {mark[ok["rate"]]} |
| (HTTP answers alone, before the outbox drained) | {cell("issue_rate_http_per_s", "/s")} | — | |
| floor: same Redis function + relay to Kafka, no HTTP, no service | {cell("floor_rate_acked_per_s", "/s")} | — | |
| share of the floor | {r["share_of_floor"]:.0%} (runs: {r["share_of_floor_range"]}) | ≥ 50% | {mark[ok["share"]]} |
| call-next p50, {r["counters"]} counters in a closed loop (call, finish, call…) | {cell("call_next_p50_ms", " ms")} | — | |
| call-next p99, closed loop | {cell("call_next_p99_ms", " ms")} | ≤ 20 ms | {mark[ok["p99"]]} |
| call-next p50, {r["counters"]} counters pressing at the same instant ({r["burst_rounds"]} rounds) | {cell("burst_p50_ms", " ms")} | — | |
| call-next p99, same-instant bursts | {cell("burst_p99_ms", " ms")} | ≤ 20 ms | {mark[ok["burst"]]} |
| ticketing RSS, VmHWM | {cell("rss_mb_peak_vmhwm", " MB")} | ≤ 150 MB | {mark[ok["rss"]]} |

Two readings of "50 concurrent counters": in the closed loop every officer presses call-next
then finish with no pause, so about {r["counters"]} requests always wait on the one web worker
(the service's saturation); in the bursts all {r["counters"]} press call-next at the same
instant, as in the integration test, then all finish, then a 20 ms pause. The floor drives the
same Redis function and the same relay in-process with no HTTP in between.
""")
    print((here / f"{args.out}.md").read_text())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--counters", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=1, help="ticketing processes")
    parser.add_argument("--out", default="results", help="results file names, no suffix")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(parser.parse_args()))
