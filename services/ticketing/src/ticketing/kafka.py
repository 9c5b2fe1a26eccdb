"""Ticketing's side of Kafka: the relay's producer, its FastStream metrics, and the documented
publisher for AsyncAPI.

The relay sends with aiokafka's producer directly. Through FastStream's publisher (with
`no_confirm=True` and the Prometheus middleware) a message cost ~38 µs of CPU against ~9 µs
(`bench/ticketing/publish_cost.py`); in three interleaved pairs of the ticketing bench the
relay-only floor was 5,557-6,457/s through FastStream against 6,724-7,560/s, while the HTTP
figure was lost in the noise (2,077-2,799 against 1,891-2,250/s). With `no_confirm` the
middleware would also time and count the hand-over, not Kafka's acknowledgement. So the relay
records FastStream's own publish series itself, through FastStream's MetricsManager:
`faststream_published_messages_*` with `app_name="ticketing"`, once per relay batch with the
batch's size (as FastStream's middleware does for `publish_batch`), counted and timed up to
Kafka's acknowledgement. The FastStream broker still describes what ticketing publishes
(AsyncAPI); it never connects.
"""

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from antre_contracts.envelope import QueueEventDoc
from antre_contracts.supervise import Health
from faststream.kafka import KafkaBroker
from faststream.prometheus.container import MetricsContainer
from faststream.prometheus.manager import MetricsManager
from faststream.prometheus.types import PublishingStatus
from prometheus_client import REGISTRY, CollectorRegistry

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


class PublishMetrics:
    """FastStream's publish metrics for what the relay sends, named `app_name="ticketing"`."""

    def __init__(self, topic: str, registry: CollectorRegistry = REGISTRY) -> None:
        # The container takes metrics already in the registry: one per process, however many
        # apps (tests) are made.
        container = MetricsContainer(registry, custom_label_names=())
        self.manager = MetricsManager(container, app_name="ticketing")
        self.topic = topic
        for status in PublishingStatus:  # at 0 from the start, so rate() sees the first batch
            self.manager.add_published_message(
                status=status, amount=0, broker="kafka", destination=topic
            )

    def batch(self, acked: int, failed: int, error: BaseException | None, seconds: float) -> None:
        """One relay batch: sent → every acknowledgement (or failure) in `seconds`."""
        labels = {"broker": "kafka", "destination": self.topic}
        self.manager.observe_published_message_duration(duration=seconds, **labels)
        if acked:
            self.manager.add_published_message(
                status=PublishingStatus.success, amount=acked, **labels
            )
        if failed:
            self.manager.add_published_message(
                status=PublishingStatus.error, amount=failed, **labels
            )
        if error is not None:
            self.manager.add_published_message_exception(
                exception_type=type(error).__name__, **labels
            )


class NotConnected(ConnectionError):
    """No producer: Kafka has not been reached yet, or the last producer was discarded."""


class KafkaLink:
    """The idempotent acks=all producer the relay sends with, kept connected by a supervised
    loop, so ticketing runs while Kafka is down.

    aiokafka's idempotent producer never gets past some failures: a batch that fails for good
    leaves a hole in its sequence numbers, and every later batch to that partition is refused
    with OutOfOrderSequenceNumber (aiokafka, unlike Kafka's Java client, does not reset its
    producer id); a fenced or unknown producer id, or a sender task that died, end it the same
    way. Those refusals repeated every few seconds, for good, after a Kafka restart in CI. So
    on any failure it cannot get past (the relay decides, see relay.py) `renew` discards the
    producer and the loop makes a new one with a new producer id; the relay then sends again
    from the head of the outbox, and consumers drop what Kafka already had by its sequence.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topic = settings.topic
        self.broker = documented_broker(settings)
        self.metrics = PublishMetrics(settings.topic)
        self.producer: AIOKafkaProducer | None = None
        self._renew = asyncio.Event()

    async def keep_connected(self, health: Health) -> None:
        """Make a producer, wait until `renew` asks for another, repeat (a supervised loop:
        while Kafka is away the start fails, and the supervisor tries again)."""
        while True:
            if self.producer is None:
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
                except BaseException:
                    await _discard(producer)
                    raise
                self.producer = producer
                self._renew.clear()
            health.ok()
            await self._renew.wait()
            producer, self.producer = self.producer, None
            if producer is not None:
                await _discard(producer)

    def renew(self, reason: BaseException) -> None:
        """The producer failed in a way it cannot get past: replace it (see the class doc)."""
        if self.producer is not None and not self._renew.is_set():
            metrics.PRODUCER_RENEWALS.labels(type(reason).__name__).inc()
            log.warning("Kafka producer replaced after %r", reason)
            self._renew.set()

    async def publish(self, key: bytes, value: bytes) -> "asyncio.Future[Any]":
        """Hand one event to the producer; the future resolves when the broker acked it."""
        producer = self.producer
        if producer is None or self._renew.is_set():
            raise NotConnected("no Kafka producer yet")
        future: asyncio.Future[Any] = await producer.send(
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
        producer, self.producer = self.producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 5.0)


async def _discard(producer: AIOKafkaProducer) -> None:
    """Stop a producer at once, whatever its state: its sender is cancelled first (a clean
    stop would wait for batches it may never deliver), and what it still held fails, so that
    nobody waits on it."""
    sender = getattr(producer, "_sender", None)
    task = getattr(sender, "sender_task", None)
    if task is not None and not task.done():
        task.cancel()
    accumulator = getattr(producer, "_message_accumulator", None)
    if accumulator is not None:
        with contextlib.suppress(Exception):
            accumulator.fail_all(KafkaError("this producer was replaced"))
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(producer.stop(), 2.0)
