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
from antre_contracts.envelope import QueueEventDoc
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


class KafkaLink:
    """The idempotent acks=all producer; connects in the background so ticketing runs while
    Kafka is down."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topic = settings.topic
        self.broker = documented_broker(settings)
        self.metrics = PublishMetrics(settings.topic)
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
