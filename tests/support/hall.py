"""A hall of a test's own, and everything it left behind read back raw.

`own_hall` runs the three services as processes on fresh topics and a fresh site (deleted
afterwards). The readers return bytes as they rest, undecoded beyond what the store itself
requires: a log's new lines, every value of every Redis key, every Kafka record with its key and
headers. Tests that must look at all of it (the PII sweep) search those bytes.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.cleanup import forget_sites
from tests.support.processes import ServiceProcess, hall_services

LIFTED_LIMITS = {
    f"TICKETING_{name}": "100000/minute"
    for name in (
        "TICKET_LOOKUP_MISSES_PER_ADDRESS",
        "SIGNIN_FAILURES_PER_ADDRESS",
        "SIGNIN_FAILURES_PER_COUNTER",
    )
}
"""hall_services lifts the issuing limits; these go too. Every request of a test comes from
127.0.0.1, and a fuzzer tries wrong tokens and ticket ids by the hundred: after ten, every
sign-in from the address would be refused, the signed-in fuzzing's with them."""


@dataclass
class Hall:
    """The running services, their topics and site, and where their logs stood at start."""

    site: str
    topics: tuple[str, str]
    """(queue events, dead letters): both share the run's suffix."""
    suffix: str
    services: dict[str, ServiceProcess]
    log_starts: dict[str, int]

    @property
    def urls(self) -> dict[str, str]:
        return {name: service.url for name, service in self.services.items()}

    def new_log(self, name: str) -> bytes:
        """What the service wrote to its log since the hall started (a log file is appended
        to, and a port, so a file name, may have served an earlier run)."""
        with open(self.services[name].log_path, "rb") as log:
            log.seek(self.log_starts[name])
            return log.read()


@asynccontextmanager
async def own_hall(
    kafka: str,
    redis_url: str,
    extra: dict[str, dict[str, str]] | None = None,
    survey: bool = False,
) -> AsyncIterator[Hall]:
    """The three services (`survey`: and the survey), ready, on topics `test.<suffix>.*` and
    site `h<suffix>`."""
    suffix = uuid.uuid4().hex[:10]
    site, topics = f"h{suffix}", (f"test.{suffix}.queue.events", f"test.{suffix}.dlq")
    answers = f"test.{suffix}.survey.answers" if survey else None
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    await admin.create_topics(
        [NewTopic(topics[0], 6, 1), NewTopic(topics[1], 1, 1)]
        + ([NewTopic(answers, 3, 1)] if answers else [])
    )
    env = {
        name: {
            f"{name.upper()}_KAFKA_BOOTSTRAP": kafka,
            f"{name.upper()}_REDIS_URL": redis_url,
            **(LIFTED_LIMITS if name == "ticketing" else {}),
            **(extra or {}).get(name, {}),
        }
        for name in ("ticketing", "display", "notifier", *(("survey",) if survey else ()))
    }
    services = hall_services(topics[0], topics[1], site, extra=env, answers=answers)
    starts = {}
    for name, service in services.items():
        service.log_path.parent.mkdir(parents=True, exist_ok=True)
        starts[name] = service.log_path.stat().st_size if service.log_path.exists() else 0
    try:
        for service in services.values():
            await asyncio.to_thread(service.start)
        yield Hall(site, topics, suffix, services, starts)
    finally:
        for service in services.values():
            await asyncio.to_thread(service.stop)
        used = [t for t in await admin.list_topics() if suffix in t]
        await admin.delete_topics(used)
        await admin.close()
        await forget_sites(redis_url, site)


async def redis_values(redis_url: str, match: str, values: bool = True) -> dict[bytes, bytes]:
    """Every key matching `match` (SCAN), with all its values whatever its type, joined by
    newlines: strings, hash fields and values, list items, set members, sorted-set members
    with their scores, stream entries with their ids, fields and values (`values=False`: the
    key names alone)."""
    client = aioredis.Redis.from_url(redis_url)
    out: dict[bytes, bytes] = {}
    try:
        async for key in client.scan_iter(match=match, count=1000):
            out[key] = b"\n".join(await _values(client, key)) if values else b""
    finally:
        await client.aclose()
    return out


async def _values(client: aioredis.Redis, key: bytes) -> list[bytes]:
    raw: Any = await client.type(key)
    kind = raw.decode()
    if kind == "string":
        raw = await client.get(key)
        return [raw or b""]
    if kind == "hash":
        raw = await client.hgetall(key)
        return [b"%s=%s" % (field, value) for field, value in raw.items()]
    if kind == "list":
        raw = await client.lrange(key, 0, -1)
        return list(raw)
    if kind == "set":
        raw = await client.smembers(key)
        return sorted(raw)
    if kind == "zset":
        raw = await client.zrange(key, 0, -1, withscores=True)
        return [b"%s %r" % (member, score) for member, score in raw]
    if kind == "stream":
        raw = await client.xrange(key, "-", "+")
        return [
            b"%s %s" % (entry_id, b" ".join(b"%s=%s" % kv for kv in fields.items()))
            for entry_id, fields in raw
        ]
    if kind == "none":  # expired between SCAN and TYPE
        return []
    raise AssertionError(f"Redis key {key!r} has a type this reader does not know: {kind}")


async def kafka_records(kafka: str, topic: str, idle_ms: int = 1500) -> list[bytes]:
    """Every record of `topic` from the start (until none arrives for `idle_ms`), each as
    `<partition>:<offset> key=<key> <header>=<value>… <value>`."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka, auto_offset_reset="earliest",
        enable_auto_commit=False, group_id=None,
    )  # fmt: skip
    await consumer.start()
    out: list[bytes] = []
    try:
        while batch := await consumer.getmany(timeout_ms=idle_ms):
            for tp, records in batch.items():
                for r in records:
                    headers = b" ".join(b"%s=%s" % (k.encode(), v) for k, v in r.headers)
                    where = f"{tp.partition}:{r.offset}".encode()
                    out.append(b"%s key=%s %s %s" % (where, r.key or b"", headers, r.value or b""))
    finally:
        await consumer.stop()
    return out
