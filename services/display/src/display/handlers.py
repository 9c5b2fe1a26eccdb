"""The display's Kafka consumer: queue events in, board changes applied, poison dead-lettered."""

import asyncio
import logging

from antre_contracts import InvalidEvent, parse_event
from antre_contracts.topics import DLQ_CONSUMER_HEADER, DLQ_REASON_HEADER
from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from redis.exceptions import RedisError

from display.config import Settings
from display.metrics import Metrics
from display.projection import change_for
from display.store import BoardStore

log = logging.getLogger(__name__)
CONSUMER = "display"


def build_router(settings: Settings, site: str, store: BoardStore, metrics: Metrics) -> KafkaRouter:
    """One subscriber on the queue topic, one publisher to the dead-letter topic."""
    router = KafkaRouter()
    dead_letters = router.publisher(
        settings.dlq_topic,
        title="display/dead-letters",
        description="Queue events the display could not read, raw, with the reason in a header",
    )

    @router.subscriber(
        settings.topic,
        group_id=settings.group_id,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        # Commit only after the board change is in Redis; a Redis failure rewinds and retries.
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="display/queue-events",
        description="Every queue event; projected onto the hall boards",
    )
    async def on_queue_event(message: KafkaMessage) -> None:
        """Apply one queue event to the board projection; dead-letter what cannot be read."""
        raw: bytes = message.body
        try:
            envelope, data = parse_event(raw)
        except InvalidEvent as exc:
            await dead_letters.publish(
                raw,
                key=message.raw_message.key,  # type: ignore[union-attr]
                headers={DLQ_REASON_HEADER: str(exc), DLQ_CONSUMER_HEADER: CONSUMER},
            )
            metrics.events.labels("invalid", "dead_letter").inc()
            log.warning("dead-lettered an event: %s", exc)
            return
        if not envelope.partitionkey.startswith(f"{site}:"):
            metrics.events.labels(envelope.type, "other_site").inc()
            return
        try:
            change = change_for(site, envelope, data)
            if "call" in change:
                # Producer time (ms) of the record: ticketing's call times are whole seconds.
                change["call"]["sent_ms"] = message.raw_message.timestamp  # type: ignore[union-attr]
            applied = await store.apply(change)
        except RedisError:
            await asyncio.sleep(0.5)  # Redis is away: rewind and retry without spinning
            raise
        metrics.events.labels(envelope.type, applied.status).inc()

    return router
