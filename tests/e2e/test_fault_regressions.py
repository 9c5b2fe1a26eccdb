"""Faults as processes on real Kafka and Redis (a Redis of the test's own where it is killed):
a killed ticketing is taken over within seconds, a display started while Redis is down pushes
calls once it is back, and a Redis killed under load answers 503 problems, never a bare 500."""

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from notifier.dlr import DlrSigner
from notifier.refusals import DEV_DLR_SECRET

from tests.support.demo import DEMO_CREDENTIALS
from tests.support.processes import hall_services
from tests.support.redis import PrivateRedis

pytestmark = pytest.mark.e2e


async def next_event(bootstrap: str, topic: str, ticket_id: str, limit_s: float) -> float:
    """Seconds until the ticket's issued event is on the topic (from the topic's start)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < limit_s:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                if any(orjson.loads(r.value)["subject"] == ticket_id for r in records):
                    return time.monotonic() - t0
        raise AssertionError(f"{ticket_id} never reached Kafka in {limit_s} s")
    finally:
        await consumer.stop()


async def test_a_killed_ticketing_is_taken_over_within_seconds(
    new_topic: Any, site_id: str, kafka_bootstrap: str
) -> None:
    """Its relay lease lasted 60 s: a restarted process waited it out, boards and SMS froze."""
    topic = await new_topic()
    first = hall_services(topic, topic, site_id)["ticketing"]
    second = hall_services(topic, topic, site_id)["ticketing"]  # the same site, another port
    try:
        first.start()
        async with httpx.AsyncClient(base_url=first.url, event_hooks=DEMO_CREDENTIALS) as http:
            r = await http.post("/api/v1/tickets", json={"service_id": "ktp-el"})
        await next_event(kafka_bootstrap, topic, r.json()["ticket_id"], 20)
        first.kill()
        second.start()
        async with httpx.AsyncClient(base_url=second.url, event_hooks=DEMO_CREDENTIALS) as http:
            r = await http.post("/api/v1/tickets", json={"service_id": "ktp-el"})
        took = await next_event(kafka_bootstrap, topic, r.json()["ticket_id"], 30)
        print(f"issued on the successor -> in Kafka: {took:.2f} s")
        assert took < 10, "the successor waited out the dead relay's lease"
    finally:
        first.kill()
        second.stop()


async def test_a_display_started_while_redis_is_down_pushes_calls_once_redis_is_back(
    new_topic: Any, site_id: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Its fan-out died at start and nothing restarted it: /readyz said 200, boards got
    heartbeats, and no call ever reached them."""
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    redis = PrivateRedis(tmp_path / "redis")  # not started: Redis is down
    display = hall_services(
        topic, dlq, site_id, extra={"display": {"DISPLAY_REDIS_URL": redis.url}}
    )["display"]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        display.launch()
        async with httpx.AsyncClient(base_url=display.url, timeout=5) as http:
            ready = await _until(lambda: http.get("/readyz"), lambda r: r.status_code == 503)
            assert "fan-out" in ready.json()["tasks_down"]
            board = await http.get("/api/v1/board")
            assert board.status_code == 503 and board.headers["retry-after"]
            assert board.headers["content-type"] == "application/problem+json"
            redis.start()
            await _until(lambda: http.get("/readyz"), lambda r: r.status_code == 200, 30)
            async with http.stream("GET", "/api/v1/board/stream") as stream:
                lines = stream.aiter_lines()
                await _read_until(lines, "event: snapshot")
                call = _called(site_id, "A-001")
                await producer.send_and_wait(topic, call, key=f"{site_id}:ktp-el".encode())
                await asyncio.wait_for(_read_until(lines, '"number":"A-001"'), 15)
    finally:
        await producer.stop()
        display.stop()
        redis.kill()


async def test_redis_killed_under_load_answers_503_problems_and_comes_back_whole(
    new_topic: Any, site_id: str, tmp_path: Path
) -> None:
    """A Redis SIGKILL gave bare text/plain 500s (31 in one run), and more from pooled
    connections left over from before the restart."""
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    redis = PrivateRedis(tmp_path / "redis").start()
    names = ("ticketing", "display", "notifier")
    extra = {name: {f"{name.upper()}_REDIS_URL": redis.url} for name in names}
    procs = hall_services(topic, dlq, site_id, extra=extra)
    answers: Counter[str] = Counter()
    bare: list[str] = []
    stop = asyncio.Event()

    async def load(http: httpx.AsyncClient, name: str, method: str, url: str, **kw: Any) -> None:
        while not stop.is_set():
            try:
                r = await http.request(method, url, **kw)
            except httpx.TransportError:
                answers[f"{name} unreachable"] += 1
                continue
            kind = r.headers.get("content-type", "")
            answers[f"{name} {r.status_code}"] += 1
            if r.status_code >= 500 and "problem+json" not in kind:
                bare.append(f"{url} {r.status_code} {r.text[:60]}")
            if r.status_code == 503:
                assert r.headers.get("retry-after"), r.headers
            await asyncio.sleep(0.02)

    try:
        for proc in procs.values():
            proc.start()
        sig = DlrSigner(DEV_DLR_SECRET).sign(site_id, "n")  # a report Kannel could send
        dlr = (
            f"/api/v1/kannel/dlr?site={site_id.encode().hex()}&notice={b'n'.hex()}"
            f"&sig={sig}&status=8"
        )
        requests = [
            ("ticketing", "POST", "/api/v1/tickets", {"json": {"service_id": "kk"}}),
            ("display", "GET", "/api/v1/board", {}),
            ("notifier", "GET", dlr, {}),
        ]
        async with httpx.AsyncClient(timeout=10, event_hooks=DEMO_CREDENTIALS) as http:
            loads = [
                asyncio.create_task(load(http, name, method, procs[name].url + path, **kw))
                for name, method, path, kw in requests
            ]
            await asyncio.sleep(1)
            redis.kill()
            await asyncio.sleep(3)
            during = sum(n for k, n in answers.items() if k.endswith(" 503"))
            redis.start()
            for proc in procs.values():
                await asyncio.to_thread(proc.wait_ready, 30)
            answers.clear()
            await asyncio.sleep(3)  # after the restart: every answer is a success again
            stop.set()
            await asyncio.gather(*loads)
        assert bare == [], bare
        assert during > 0, "Redis was away, yet nothing answered 503"
        assert {k.rsplit(" ", 1)[1] for k in answers} <= {"200", "201"}, answers
    finally:
        for proc in procs.values():
            proc.stop()
        redis.kill()


def _called(site: str, number: str) -> bytes:
    now = "2026-12-02T02:00:00Z"
    return orjson.dumps({
        "specversion": "1.0", "id": f"call-{number}", "source": f"/antre/{site}/ticketing",
        "type": "antre.ticket.called", "time": now, "subject": f"{site}-{number}",
        "partitionkey": f"{site}:ktp-el", "sequence": 1, "epoch": 1,
        "data": {"ticket_id": f"{site}-{number}", "number": number, "service_id": "ktp-el",
                 "counter_id": "loket-1", "counter_number": 1, "officer_id": "o",
                 "recall": False, "call_count": 1, "called_at": now, "waited_s": 5,
                 "counter_seq": 1, "waiting_count": 0},
    })  # fmt: skip


async def _until(get: Any, ok: Any, limit_s: float = 20) -> Any:
    deadline = time.monotonic() + limit_s
    while True:
        try:
            r = await get()
            if ok(r):
                return r
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("never happened")
        await asyncio.sleep(0.2)


async def _read_until(lines: Any, needle: str) -> None:
    async for line in lines:
        if needle in line:
            return
    raise AssertionError(f"stream ended before {needle!r}")
