"""Ticketing's side of Kafka: one broker, one documented publisher, started with retries."""

import asyncio
import contextlib
import logging
from typing import Any

from antre_contracts.envelope import QueueEventDoc
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY

from ticketing.config import Settings

log = logging.getLogger(__name__)


class KafkaLink:
    """Publishes outbox entries; connects in the background: ticketing runs while Kafka is down."""

    def __init__(self, settings: Settings) -> None:
        self.broker = KafkaBroker(
            settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=settings.relay_linger_ms,
            request_timeout_ms=10_000,
            client_id="ticketing",
            middlewares=[KafkaPrometheusMiddleware(registry=REGISTRY, app_name="ticketing")],
            logger=None,
        )
        self.publisher = self.broker.publisher(
            settings.topic,
            title="antre.queue.events:publish",
            description="Every queue and counter change, keyed by queue, in order per queue.",
            schema=QueueEventDoc,
        )
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="kafka-connect")

    async def _connect(self) -> None:
        delay = 0.2
        while True:
            try:
                await self.broker.start()
                self.connected.set()
                return
            except Exception as exc:
                log.warning("Kafka not reachable (%s); retrying in %.1fs", exc, delay)
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)

    async def publish(self, key: bytes, value: bytes) -> "asyncio.Future[Any]":
        """Hand one event to the producer; the future resolves when the broker acked it."""
        if not self.connected.is_set():
            raise ConnectionError("not connected to Kafka yet")
        future: asyncio.Future[Any] = await self.publisher.publish(
            value,
            key=key,
            no_confirm=True,
            headers={"content-type": "application/cloudevents+json"},
        )
        return future

    async def reachable(self) -> bool:
        if not self.connected.is_set():
            return False
        with contextlib.suppress(Exception):
            return bool(await asyncio.wait_for(self.broker.ping(timeout=1.0), 1.5))
        return False

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=2.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.broker.stop(), 5.0)
