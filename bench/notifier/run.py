"""Notifier benchmark: SMS/s accepted by the real Kannel, call-to-gateway delay, RSS,
against the floor measured in the same run (sequential requests straight to Kannel's sendsms).

    uv run python bench/notifier/run.py [--burst 5000] [--paced-rate 200] [--paced-seconds 10]

Needs `bash deploy/local/infra.sh up` (Kafka, Redis, Kannel + fakesmsc). Writes
bench/notifier/results.md (and prints it).
"""

import argparse
import asyncio
import platform
import socket
import sys
import time
import uuid
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from bench.support.http import rss_mb  # noqa: E402
from bench.support.machine import (  # noqa: E402
    kannel_box_quickack,
    loopback_quickack,
    redis_stalls,
    redis_stalls_begin,
)
from bench.support.metrics import quantile, scrape  # noqa: E402
from tests.integration.notifier.helpers import Events, notifier_env, unique_phone  # noqa: E402
from tests.support.cleanup import forget_sites  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402

KAFKA = "127.0.0.1:9092"
REDIS = "redis://127.0.0.1:6379/0"
SENDSMS = "http://127.0.0.1:13013/cgi-bin/sendsms"
CALL_TO_GATEWAY = "notifier_call_to_gateway_seconds"
SERVICES = ["ktp-el", "kk", "akta", "pkb-tahunan", "jkn", "pajak"]


def floor(n: int) -> float:
    """Sequential sendsms requests per second, keep-alive, straight to Kannel."""
    with httpx.Client(timeout=5) as c:
        t0 = time.perf_counter()
        for i in range(n):
            r = c.get(SENDSMS, params={"username": "antre", "password": "antre-dev",
                                       "from": "ANTRE", "to": unique_phone(),
                                       "text": f"bench floor {i}"})  # fmt: skip
            assert r.status_code == 202, r.text
        return n / (time.perf_counter() - t0)


def seen(value: float | None) -> float:
    """A quantile of a histogram that saw something: a renamed one must not read as 0 ms."""
    if value is None:
        raise RuntimeError(f"{CALL_TO_GATEWAY} saw nothing: renamed, or no SMS sent?")
    return value


def sent(m: dict[str, float]) -> float:
    return sum(
        v for k, v in m.items() if k.startswith("notifier_sms_total") and 'outcome="sent"' in k
    )


async def produce_calls(topic: str, site: str, n: int, rate: float | None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all", linger_ms=2)
    await producer.start()
    evs = [Events(site, service=s) for s in SERVICES]
    t0 = time.perf_counter()
    try:
        futs = []
        for i in range(n):
            ev = evs[i % len(evs)]
            raw = ev.called(f"{ev.service[:1].upper()}-{i:05d}", unique_phone(), 3, [])
            futs.append(await producer.send(topic, raw, key=ev.key.encode()))
            if rate:
                delay = t0 + (i + 1) / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
        await asyncio.gather(*futs)
    finally:
        await producer.stop()


async def wait_sent(url: str, target: float, wait_s: float) -> float:
    deadline = time.perf_counter() + wait_s
    while time.perf_counter() < deadline:
        if sent(scrape(url, "notifier_")) >= target:
            return time.perf_counter()
        await asyncio.sleep(0.05)
    raise TimeoutError(f"only {sent(scrape(url, 'notifier_'))} of {target} SMS sent")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--burst", type=int, default=5000)
    ap.add_argument("--paced-rate", type=float, default=200)
    ap.add_argument("--paced-seconds", type=float, default=10)
    ap.add_argument("--floor-requests", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "notifier" / "results.md")
    a = ap.parse_args()

    floor_rate = floor(a.floor_requests)
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    tag = uuid.uuid4().hex[:8]
    topic, dlq = f"bench.{tag}.queue.events", f"bench.{tag}.dlq"
    await admin.create_topics([NewTopic(topic, 6, 1), NewTopic(dlq, 1, 1)])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = notifier_env(topic, dlq, NOTIFIER_PORT=str(port), NOTIFIER_RATE_LIMIT_COUNT="100")
    site = "bench" + tag
    await redis_stalls_begin(REDIS)
    proc = ServiceProcess("notifier", port, env).start()
    try:
        assert proc.proc is not None
        url = proc.url
        # 0. Warm-up (consumer group joined, connections open); the delta excludes it.
        await produce_calls(topic, site + "w", 200, 200)
        await wait_sent(url, 200, 60)
        warm = scrape(url, "notifier_")
        # 1. Paced calls with a healthy gateway: call-to-gateway delay.
        n_paced = int(a.paced_rate * a.paced_seconds)
        await produce_calls(topic, site + "p", n_paced, a.paced_rate)
        await wait_sent(url, 200 + n_paced, 60)
        paced = scrape(url, "notifier_")
        p50 = seen(quantile(paced, CALL_TO_GATEWAY, 0.5, warm))
        p99 = seen(quantile(paced, CALL_TO_GATEWAY, 0.99, warm))
        # 2. A burst: sustained SMS/s accepted by Kannel.
        t0 = time.perf_counter()
        await produce_calls(topic, site + "b", a.burst, None)
        t_end = await wait_sent(url, 200 + n_paced + a.burst, 300)
        burst_rate = a.burst / (t_end - t0)
        after = scrape(url, "notifier_")
        bp99 = seen(quantile(after, CALL_TO_GATEWAY, 0.99, paced))
        rss, hwm = rss_mb(proc.proc.pid)
        stalls = await redis_stalls(REDIS)
    finally:
        proc.stop()
        await admin.delete_topics([topic, dlq])
        await admin.close()
        await forget_sites(REDIS, *(site + part for part in "wpb"))

    ok = burst_rate >= 500 and burst_rate >= 0.5 * floor_rate and p99 <= 0.1 and hwm <= 150
    report = f"""# Notifier benchmark

Command: `uv run python bench/notifier/run.py --burst {a.burst} --paced-rate {a.paced_rate:g} \
--paced-seconds {a.paced_seconds:g}`
Run: {time.strftime("%Y-%m-%d %H:%M")} on {platform.node()} ({platform.processor() or platform.machine()}),
real Kafka, Redis, Kannel (bearerbox + smsbox + fakesmsc), notifier as a process, provider kannel.
Kannel box link quickack route (`deploy/local/infra.sh up kannel`, as root): {"on" if kannel_box_quickack() else "OFF"}; quickack on all of loopback (the removed `tune`): {"ON" if loopback_quickack() else "off"}.
Longest Redis stalls during the run (its latency monitor, ms): {stalls or "none over 20 ms"}.

| measure | result | target |
|---|---|---|
| floor: sequential sendsms straight to Kannel ({a.floor_requests} requests) | {floor_rate:,.0f} req/s | — |
| notifier burst: {a.burst} 'called' events, produce → all accepted by Kannel | {burst_rate:,.0f} SMS/s ({burst_rate / floor_rate:.0%} of floor) | ≥ 500 SMS/s and ≥ 50% of floor |
| call → gateway accepted, paced {a.paced_rate:g}/s for {a.paced_seconds:g} s: p50 | {p50 * 1000:.1f} ms | — |
| call → gateway accepted, paced: p99 | {p99 * 1000:.1f} ms | ≤ 100 ms |
| call → gateway accepted during the burst: p99 (queueing included) | {bp99 * 1000:.0f} ms | — |
| notifier RSS at the end / peak (VmHWM) | {rss:.0f} MB / {hwm:.0f} MB | ≤ 150 MB |

All targets met: {"yes" if ok else "NO"}.
Delays come from the notifier's `notifier_call_to_gateway_seconds` histogram (event `called_at`
to Kannel's 202), interpolated within buckets (…, 5, 7.5, 10, 15, 20, 30, 50, 75, 100 ms, …).
"""
    a.out.write_text(report)
    print(report)


if __name__ == "__main__":
    asyncio.run(main())
