"""Call-to-board latency: counter call-next HTTP request → the call's update at an SSE client.

Runs ticketing and display as processes on the local Kafka and Redis (a site id and topics of
its own), connects N SSE load clients (other processes), drives R calls/s across the 15
counters through ticketing's HTTP API, and measures at a separate probe client. In the same
run it measures the floor: a raw Kafka produce → consume round trip at the same rate.

    uv run python bench/display/call_to_board.py --rate 200 --clients 100 --seconds 20

The layout is the deployed one: each service on its own Redis (ticketing's BENCH_REDIS_URL,
default 6379; the display's BENCH_DISPLAY_REDIS_URL, default 6381), Kafka at BENCH_KAFKA
(default the single node; the three-node cluster of `KAFKA_NODES=3 infra.sh up kafka` with
BENCH_KAFKA=127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096 and BENCH_KAFKA_REPLICAS=3).
"""

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from redis import asyncio as aioredis

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from antre_contracts import load_catalog  # noqa: E402

from bench.support.http import Conn  # noqa: E402
from bench.support.machine import (  # noqa: E402
    loopback_quickack,
    redis_stalls,
    redis_stalls_begin,
)
from tests.support.cleanup import forget_sites  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402

KAFKA = os.environ.get("BENCH_KAFKA", "127.0.0.1:9092")
REPLICAS = int(os.environ.get("BENCH_KAFKA_REPLICAS", "1"))
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DISPLAY_REDIS = os.environ.get("BENCH_DISPLAY_REDIS_URL", "redis://127.0.0.1:6381/0")
BOSS = {"Authorization": "Bearer demo-koordinator"}
KIOSK = {"Authorization": "Bearer demo-kiosk-01"}


# ---- SSE clients (own processes, so the driver's CPU does not delay them) -------------------
# Every process of the harness runs on uvloop, as the services do under uvicorn: on two cores
# the harness's own CPU queues in front of the services' (the TVs of a hall are other machines).
async def _load_clients(url: str, n: int, stop: Any, out: Any) -> None:
    """Raw sockets, not an HTTP client library: the load must cost the machine little CPU."""
    received = [0]
    target = httpx.URL(url)

    async def one() -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(target.host, target.port)
                break
            except OSError:
                await asyncio.sleep(0.2)
        request = f"GET {target.raw_path.decode()} HTTP/1.1\r\nHost: {target.host}\r\n\r\n"
        writer.write(request.encode())
        while data := await reader.read(1 << 16):
            received[0] += data.count(b"event: update")

    tasks = [asyncio.create_task(one()) for _ in range(n)]
    await asyncio.to_thread(stop.wait)
    for t in tasks:
        t.cancel()
    out.put(received[0])


def load_clients(url: str, n: int, stop: Any, out: Any, nice: int) -> None:
    # The 100 boards stand for TVs, which are other machines: at nice 19 their reading takes
    # only CPU the services leave, and still gets every update (counted). The probe, the floor
    # and the driver keep the services' priority.
    os.nice(nice)
    uvloop.run(_load_clients(url, n, stop, out))


async def _probe(url: str, stop: Any, out: Any, ready: Any) -> None:
    """One board, as a browser would be: on a drop it resumes from its Last-Event-ID."""
    arrivals: dict[str, tuple[float, float]] = {}
    last_id: str | None = None
    reconnects = -1
    while not stop.is_set():
        reconnects += 1
        headers = {"Last-Event-ID": last_id} if last_id else {}
        try:
            async with (
                httpx.AsyncClient(timeout=None) as http,
                http.stream("GET", url, headers=headers) as response,
            ):
                ready.set()
                buffer = b""
                async for chunk in response.aiter_raw():
                    now = time.time()
                    buffer += chunk
                    *frames, buffer = buffer.split(b"\n\n")
                    for frame in frames:
                        if frame.startswith(b"id: "):
                            last_id = frame[4:].split(b"\n", 1)[0].decode()
                        if b"event: update" not in frame:
                            continue
                        call = orjson.loads(frame.split(b"data: ", 1)[1]).get("call")
                        if call is not None:
                            sent = call.get("sent_ms", 0) / 1000
                            arrivals.setdefault(call["number"], (now, sent))  # boards carry numbers
                    if stop.is_set():
                        break
        except httpx.HTTPError:
            await asyncio.sleep(0.1)
    out.put(arrivals)
    out.put(("probe_reconnects", reconnects))


def probe(url: str, stop: Any, out: Any, ready: Any) -> None:
    uvloop.run(_probe(url, stop, out, ready))


# ---- the floor: raw Kafka produce → consume, same broker, same rate, same fetch settings ----
async def _floor(topic: str, rate: float, stop: Any, out: Any, ready: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=KAFKA, group_id=f"floor-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="latest", fetch_max_wait_ms=5,
    )  # fmt: skip
    await producer.start()
    await consumer.start()
    while not consumer.assignment():
        await asyncio.sleep(0.05)
    await consumer.seek_to_end()
    ready.set()
    latencies: list[float] = []

    async def consume() -> None:
        async for record in consumer:
            latencies.append(time.time() - float(record.value))

    writes: list[float] = []

    async def redis_writes() -> None:
        # The context every write pays on this Redis (shared; appendfsync always).
        client = aioredis.Redis.from_url(REDIS)
        key = f"{{{topic}}}:bench:probe"
        while True:
            t0 = time.perf_counter()
            await client.hset(key, "n", t0)
            writes.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.05)

    task = asyncio.create_task(consume())
    writer = asyncio.create_task(redis_writes())
    i = 0
    start = time.monotonic()
    while not stop.is_set():
        i += 1
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        await producer.send(topic, str(time.time()).encode(), key=str(i % 6).encode())
    await asyncio.sleep(1)
    task.cancel()
    writer.cancel()
    await producer.stop()
    await consumer.stop()
    out.put(latencies)
    out.put(("redis_writes", writes))


def floor(topic: str, rate: float, stop: Any, out: Any, ready: Any) -> None:
    uvloop.run(_floor(topic, rate, stop, out, ready))


# ---- the driver: counters calling through ticketing's HTTP API -------------------------------
async def issue_tickets(http: httpx.AsyncClient, services: list[str]) -> None:
    sem = asyncio.Semaphore(32)

    async def one(service_id: str) -> None:
        async with sem:
            body = {"service_id": service_id, "priority": "regular", "channel": "kiosk"}
            response = await http.post("/api/v1/tickets", json=body, headers=KIOSK)
            response.raise_for_status()

    await asyncio.gather(*(one(s) for s in services))


async def drive(
    url: str, counters: list[str], rate: float, seconds: float
) -> tuple[dict[str, float], int]:
    """Each counter: call-next (timed from the request's start), then finish; paced to `rate`.

    One keep-alive connection per counter with the bench's own small HTTP client: httpx cost
    the driver more CPU per request than ticketing spends on it, and delayed the timed sends.
    """
    starts: dict[str, float] = {}
    errors = [0]
    total = int(rate * seconds)
    target = httpx.URL(url)

    async def counter_loop(index: int, counter_id: str) -> None:
        conn = await Conn(target.host, target.port or 80).open()
        for k in range(index, total, len(counters)):
            await asyncio.sleep(max(0.0, begin + k / rate - time.monotonic()))
            t0 = time.time()
            status, body = await conn.request(
                "POST", f"/api/v1/counters/{counter_id}/call-next", None, BOSS
            )
            if status != 200:
                errors[0] += 1
                continue
            starts[orjson.loads(body)["number"]] = t0
            await conn.request(
                "POST", f"/api/v1/counters/{counter_id}/finish", {"outcome": "served"}, BOSS
            )
        await conn.close()

    begin = time.monotonic() + 0.5
    await asyncio.gather(*(counter_loop(i, c) for i, c in enumerate(counters)))
    return starts, errors[0]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def rss_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def main(args: argparse.Namespace) -> dict[str, Any]:
    site = "bench" + uuid.uuid4().hex[:6]
    topic, dlq, floor_topic = (f"bench.{site}.{n}" for n in ("events", "dlq", "floor"))
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    isr = {"min.insync.replicas": "2"} if REPLICAS > 1 else {}
    await admin.create_topics([
        NewTopic(name, parts, REPLICAS, topic_configs=isr)
        for name, parts in ((topic, 6), (dlq, 1), (floor_topic, 6))
    ])  # fmt: skip
    ticketing = ServiceProcess("ticketing", args.port_base + 1, {
        "TICKETING_KAFKA_BOOTSTRAP": KAFKA, "TICKETING_REDIS_URL": REDIS, "TICKETING_TOPIC": topic,
        "TICKETING_SITE_ID": site, "TICKETING_ENFORCE_HOURS": "false",
        "TICKETING_PORT": str(args.port_base + 1), "TICKETING_KIOSK_RATE": "10000000/minute",
    })  # fmt: skip
    display = ServiceProcess("display", args.port_base + 2, {
        "DISPLAY_KAFKA_BOOTSTRAP": KAFKA, "DISPLAY_REDIS_URL": DISPLAY_REDIS, "DISPLAY_TOPIC": topic,
        "DISPLAY_DLQ_TOPIC": dlq, "DISPLAY_GROUP_ID": f"display-{site}", "DISPLAY_SITE_ID": site,
        "DISPLAY_PORT": str(args.port_base + 2),
    })  # fmt: skip
    ctx = mp.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    procs: list[Any] = []
    try:
        ticketing.start()
        display.start()
        catalog = load_catalog(REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml")
        free = {s.id for s in catalog.services if s.daily_quota is None}
        counters = [c for c in catalog.counters if any(s in free for s in c.services)]
        total = int(args.rate * args.seconds)
        per_counter = total // len(counters) + 5
        wanted: list[str] = []
        for c in counters:
            wanted += [next(s for s in c.services if s in free)] * per_counter
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=ticketing.url, timeout=30, limits=limits) as http:
            await issue_tickets(http, wanted)
            for c in counters:
                (await http.post(f"/api/v1/counters/{c.id}/open", headers=BOSS)).raise_for_status()
            stream_url = f"{display.url}/api/v1/board/stream"
            per_proc = -(-args.clients // args.client_procs)
            for i in range(args.client_procs):
                n = min(per_proc, args.clients - i * per_proc)
                procs.append(
                    ctx.Process(
                        target=load_clients, args=(stream_url, n, stop, out, args.load_nice)
                    )
                )
            probe_ready, floor_ready = ctx.Event(), ctx.Event()
            procs.append(ctx.Process(target=probe, args=(stream_url, stop, out, probe_ready)))
            procs.append(
                ctx.Process(target=floor, args=(floor_topic, args.rate, stop, out, floor_ready))
            )
            for p in procs:
                p.start()
            probe_ready.wait(30)
            floor_ready.wait(30)
            boards = 0.0
            for _ in range(600):  # until every SSE client is connected (at most a minute)
                metrics = (await http.get(f"{display.url}/metrics")).text
                boards = next(
                    float(line.split()[-1]) for line in metrics.splitlines()
                    if line.startswith("display_boards_connected")
                )  # fmt: skip
                if boards >= args.clients + 1:
                    break
                await asyncio.sleep(0.1)
            pids = {"display": display.proc.pid, "ticketing": ticketing.proc.pid}  # type: ignore[union-attr]
            pids["bench driver"] = os.getpid()
            cpu0 = {name: cpu_s(pid) for name, pid in pids.items()}
            busy0 = machine_busy()
            await redis_stalls_begin(REDIS)
            await redis_stalls_begin(DISPLAY_REDIS)
            wall0 = time.monotonic()
            counter_ids = [c.id for c in counters]
            starts, errors = await drive(ticketing.url, counter_ids, args.rate, args.seconds)
            cores = {
                name: round((cpu_s(pid) - cpu0[name]) / (time.monotonic() - wall0), 2)
                for name, pid in pids.items()
            }
            busy1 = machine_busy()
            stalls = {"ticketing": await redis_stalls(REDIS),
                      "display": await redis_stalls(DISPLAY_REDIS)}  # fmt: skip
            cores["whole machine"] = round(
                (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) * (os.cpu_count() or 1), 2
            )
            await asyncio.sleep(2)
            rss, hwm = rss_mb(display.proc.pid)  # type: ignore[union-attr]
        stop.set()
        results = [out.get(timeout=60) for _ in range(len(procs) + 2)]
        for p in procs:
            p.join(10)
    finally:
        stop.set()
        for p in procs:
            if p.is_alive():
                p.terminate()
        display.stop()
        ticketing.stop()
        await admin.delete_topics([topic, dlq, floor_topic])
        await admin.close()
        await forget_sites(REDIS, site, floor_topic)
        await forget_sites(DISPLAY_REDIS, site)
    arrivals = next(r for r in results if isinstance(r, dict))
    floor_lat = next(r for r in results if isinstance(r, list))
    extra: dict[str, Any] = dict(r for r in results if isinstance(r, tuple))
    redis_ms = extra["redis_writes"]
    load_received = sum(r for r in results if isinstance(r, int))
    latencies = [arrivals[t][0] - t0 for t, t0 in starts.items() if t in arrivals]
    ms = [x * 1000 for x in latencies]
    # Where the time goes: ticketing (request → its relay's Kafka produce) and display
    # (Kafka record timestamp → SSE client), split by the record's producer timestamp.
    to_kafka = [(arrivals[t][1] - t0) * 1000 for t, t0 in starts.items() if t in arrivals]
    to_board = [(a - k) * 1000 for a, k in arrivals.values()]
    floor_ms = [x * 1000 for x in floor_lat]
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "layout": {
            "kafka": KAFKA,
            "replicas": REPLICAS,
            "ticketing_redis": REDIS,
            "display_redis": DISPLAY_REDIS,
        },
        "rate_calls_per_s": args.rate,
        "seconds": args.seconds,
        "sse_clients": args.clients + 1,
        "boards_connected_at_start": boards,
        "calls_made": len(starts),
        "call_errors": errors,
        "calls_seen_by_probe": len(latencies),
        "probe_reconnects": extra["probe_reconnects"],
        "load_clients_updates_received": load_received,
        "load_clients_nice": args.load_nice,
        "call_to_board_ms": {
            "p50": round(pct(ms, 50), 2),
            "p90": round(pct(ms, 90), 2),
            "p99": round(pct(ms, 99), 2),
            "max": round(max(ms), 2),
            "mean": round(statistics.fmean(ms), 2),
        },
        "floor_kafka_produce_consume_ms": {
            "n": len(floor_ms),
            "p50": round(pct(floor_ms, 50), 2),
            "p99": round(pct(floor_ms, 99), 2),
        },
        "split_request_to_kafka_ms": {
            "p50": round(pct(to_kafka, 50), 2),
            "p99": round(pct(to_kafka, 99), 2),
        },
        "split_kafka_to_sse_client_ms": {
            "p50": round(pct(to_board, 50), 2),
            "p99": round(pct(to_board, 99), 2),
        },
        "context_redis_write_ms": {
            "p50": round(pct(redis_ms, 50), 2),
            "p99": round(pct(redis_ms, 99), 2),
        },
        "p50_over_floor": round(pct(ms, 50) / max(pct(floor_ms, 50), 1e-6), 2),
        "cpu_cores_used_during_calls": cores,
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_after": os.getloadavg(),
            "redis_longest_stall_ms_during_calls": stalls,
            "loopback_quickack_everywhere": loopback_quickack(),
        },
        "display_rss_mb": round(rss, 1),
        "display_peak_rss_mb": round(hwm, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--clients", type=int, default=100, help="SSE load clients")
    parser.add_argument("--client-procs", type=int, default=1)
    parser.add_argument(
        "--load-nice", type=int, default=19, help="niceness of the load clients (0: as services)"
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--port-base", type=int, default=18100)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results.json")
    args = parser.parse_args()
    result = uvloop.run(main(args))
    print(json.dumps(result, indent=2))
    args.out.write_text(json.dumps(result, indent=2) + "\n")
