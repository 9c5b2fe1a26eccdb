"""The relay reports every batch (for FastStream's publish metrics): what Kafka acknowledged and
what it refused. Real Redis outbox; the producer's delivery futures are settled by the test, so
an acknowledgement and a refusal arrive in the same batch."""

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry
from ticketing.kafka import NotConnected, PublishMetrics
from ticketing.relay import OutboxRelay, ProducerFailed


class Link:
    """The relay's side of KafkaLink, with the test's own `publish`."""

    producer = object()

    def __init__(self, publish: Any) -> None:
        self.publish = publish


async def test_a_batch_reports_acked_and_refused_events_and_keeps_the_refused(
    redis_client: aioredis.Redis, site_id: str
) -> None:
    outbox = f"{{{site_id}}}:tk:outbox"
    for key in (b"q1", b"q2", b"q1", b"q3"):
        await redis_client.xadd(outbox, {b"k": key, b"e": b"{}"})
    reports: list[tuple[int, int, str, float]] = []
    registry = CollectorRegistry()
    publish_metrics = PublishMetrics("antre.queue.events", registry)

    def report(acked: int, failed: int, error: BaseException | None, seconds: float) -> None:
        reports.append((acked, failed, type(error).__name__, seconds))
        publish_metrics.batch(acked, failed, error, seconds)

    async def publish(key: bytes, value: bytes) -> "asyncio.Future[Any]":
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if key == b"q2":
            future.set_exception(TimeoutError("no acknowledgement"))
        else:
            future.set_result(None)
        return future

    relay = OutboxRelay(redis_client, outbox, Link(publish), report=report)  # type: ignore[arg-type]
    # The relay raises (its producer is then replaced); the refused event stays for next time.
    with pytest.raises(ProducerFailed, match="1 of 4 not acknowledged"):
        await relay._drain_once()
    assert [r[:3] for r in reports] == [(3, 1, "TimeoutError")]
    assert await redis_client.xlen(outbox) == 1

    def sample(name: str, **labels: str) -> float | None:
        labels = {"app_name": "ticketing", "broker": "kafka",
                  "destination": "antre.queue.events", **labels}  # fmt: skip
        return registry.get_sample_value(name, labels)

    assert sample("faststream_published_messages_total", status="success") == 3
    assert sample("faststream_published_messages_total", status="error") == 1
    assert (
        sample("faststream_published_messages_exceptions_total", exception_type="TimeoutError") == 1
    )
    assert sample("faststream_published_messages_duration_seconds_count") == 1


async def test_a_send_refused_before_the_producer_is_no_publish(
    redis_client: aioredis.Redis, site_id: str
) -> None:
    """Not connected: every round is refused at once, the event kept, nothing counted as
    published, and the producer is not blamed (nothing reached it)."""
    outbox = f"{{{site_id}}}:tk:outbox"
    await redis_client.xadd(outbox, {b"k": b"q1", b"e": b"{}"})
    reports: list[tuple[int, int]] = []

    async def publish(key: bytes, value: bytes) -> "asyncio.Future[Any]":
        raise NotConnected("no Kafka producer yet")

    relay = OutboxRelay(
        redis_client,
        outbox,
        Link(publish),  # type: ignore[arg-type]
        report=lambda a, f, e, s: reports.append((a, f)),
    )
    for _ in range(3):
        await relay._drain_once()
    assert reports == [] and await redis_client.xlen(outbox) == 1
