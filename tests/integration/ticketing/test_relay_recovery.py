"""The relay gets past a producer the broker refuses for good, and every replica sees the
outbox (real Kafka and Redis)."""

import asyncio

from aiokafka import TopicPartition
from prometheus_client import REGISTRY
from ticketing import metrics

from tests.support.kafka import read_topic


def renewals() -> float:
    return sum(
        s.value
        for m in REGISTRY.collect()
        if m.name == "antre_kafka_producer_renewals"
        for s in m.samples
        if s.name.endswith("_total")
    )


async def test_a_producer_refused_with_out_of_order_sequence_is_replaced_and_nothing_is_lost(
    make_ticketing, kafka_bootstrap
) -> None:
    """aiokafka's idempotent producer never gets past a hole in its sequence numbers: every
    later batch of the partition is refused (OutOfOrderSequenceNumber), as it was for minutes
    after a Kafka restart in CI. The hole is made here by hand; the broker refuses for real."""
    async with make_ticketing() as tk:
        for _ in range(3):
            assert (
                await tk.http.post("/api/v1/tickets", json={"service_id": "ktp"})
            ).status_code == 201
        await tk.outbox_drained()
        before = renewals()
        producer = tk.app.state.kafka.producer
        for partition in range(6):
            producer._txn_manager.increment_sequence_number(TopicPartition(tk.topic, partition), 1)
        for _ in range(10):
            assert (
                await tk.http.post("/api/v1/tickets", json={"service_id": "kk"})
            ).status_code == 201
        await tk.outbox_drained(within_s=30)
        assert renewals() > before
        assert tk.app.state.kafka.producer is not producer
        events = await read_topic(kafka_bootstrap, tk.topic)
    issued = {e["data"]["ticket_id"] for e in events if e["type"] == "antre.ticket.issued"}
    assert len(issued) == 13


async def test_a_standing_by_replica_reads_the_outbox_backlog_and_its_age(
    make_ticketing, redis_client
) -> None:
    """Only the lease holder used to set antre_outbox_backlog: with the relay dead, every
    replica read 0 and no alert fired."""
    async with make_ticketing() as tk:
        # Another replica holds the lease (and is stuck): this one stands by.
        await redis_client.set(f"{tk.prefix}:outbox:relay-lease", "relay-elsewhere", px=60_000)
        await asyncio.sleep(1.2)  # this relay's own lease lapses and is not renewed
        for _ in range(4):
            assert (
                await tk.http.post("/api/v1/tickets", json={"service_id": "ktp"})
            ).status_code == 201
        await asyncio.sleep(4.5)  # two gauge refreshes (every 2 s)
        assert metrics.RELAY_LEADING._value.get() == 0
        assert metrics.OUTBOX_BACKLOG._value.get() >= 4
        assert metrics.OUTBOX_OLDEST_AGE._value.get() > 1
