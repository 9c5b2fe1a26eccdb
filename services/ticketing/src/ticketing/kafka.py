"""Ticketing's side of Kafka: the relay's producer, and the documented publisher for AsyncAPI.

The relay sends with aiokafka's producer directly: FastStream's publish path cost about 290 µs
a message here against 34 µs for the producer's own send (measured with 5,000 sends), and
the relay sends every event. The FastStream broker still describes what ticketing publishes
(AsyncAPI); it never connects.
"""

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from antre_contracts.envelope import QueueEventDoc
from faststream.kafka import KafkaBroker

from ticketing import metrics
from ticketing.config import Settings

log = logging.getLogger(__name__)
HEADERS = [("content-type", b"application/cloudevents+json")]


def documented_broker(settings: Settings) -> KafkaBroker:
    """A broker that is never started: it only renders the AsyncAPI document."""
    broker = KafkaBroker(settings.kafka_bootstrap, logger=None)
    broker.publisher(
        settings.topic,
        title=f"{settings.topic}:publish",
        description="Every queue and counter change, keyed by queue, in order per queue.",
        schema=QueueEventDoc,
    )
    return broker


class KafkaLink:
    """The idempotent acks=all producer; connects in the background so ticketing runs while
    Kafka is down."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topic = settings.topic
        self.broker = documented_broker(settings)
        self.producer: AIOKafkaProducer | None = None
        self.connected = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="kafka-connect")

    async def _connect(self) -> None:
        delay = 0.2
        while not self._stopping:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.settings.kafka_bootstrap,
                client_id="ticketing",
                acks="all",
                enable_idempotence=True,
                linger_ms=self.settings.relay_linger_ms,
                request_timeout_ms=10_000,
            )
            try:
                await producer.start()
                self.producer = producer
                self.connected.set()
                return
            except Exception as exc:
                log.warning("Kafka not reachable (%s); retrying in %.1fs", exc, delay)
                with contextlib.suppress(Exception):
                    await producer.stop()
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)

    async def publish(self, key: bytes, value: bytes) -> "asyncio.Future[Any]":
        """Hand one event to the producer; the future resolves when the broker acked it."""
        if self.producer is None:
            raise ConnectionError("not connected to Kafka yet")
        future: asyncio.Future[Any] = await self.producer.send(
            self.topic, value, key=key, headers=HEADERS
        )
        metrics.EVENTS_SENT.inc()
        return future

    async def reachable(self) -> bool:
        if self.producer is None:
            return False
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.producer.client.fetch_all_metadata(), 1.5)
            return True
        return False

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=2.0)
        if self.producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.producer.stop(), 5.0)
