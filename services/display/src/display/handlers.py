"""The display's Kafka consumer: queue events in, applied to the board in sequence per queue."""

import logging
from typing import Any

from antre_contracts import CloudEvent, EventData
from antre_contracts.batches import long_poll, no_body, tolerant_parser
from antre_contracts.commits import Committer
from antre_contracts.consuming import Item, SequencedConsumer
from antre_contracts.supervise import Health
from antre_contracts.topics import DLQ_CONSUMER_HEADER, DLQ_REASON_HEADER
from faststream import AckPolicy
from faststream._internal.context import ContextRepo
from faststream.kafka import KafkaRouter

from display.config import Settings
from display.metrics import Metrics
from display.projection import Change, change_for, place_of
from display.store import BoardStore

log = logging.getLogger(__name__)
CONSUMER = "display"


def build_router(
    settings: Settings,
    site: str,
    store: BoardStore,
    metrics: Metrics,
    committer: Committer,
    context: ContextRepo,
    health: Health,
) -> tuple[KafkaRouter, Any]:
    """One batch subscriber on the queue topic, one publisher to the dead-letter topic;
    returns the router and the subscriber (its consume loop is watched, see app.py)."""
    router = KafkaRouter()
    dead_letters = router.publisher(
        settings.dlq_topic,
        title="display/dead-letters",
        description="Queue events the display could not read, raw, with the reason in a header",
    )

    subscriber = router.subscriber(
        settings.topic,
        group_id=settings.group_id,
        group_instance_id=settings.group_instance_id,
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.session_timeout_ms // 4,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        # Whatever has arrived is applied in one Redis call (one fsync) and committed once,
        # after it is applied, in the background (antre_contracts.commits); a failure rewinds
        # the batch and retries it.
        batch=True,
        max_records=settings.batch_max,
        ack_policy=AckPolicy.MANUAL,
        parser=tolerant_parser,  # a foreign record must reach the handler (dead letter)
        decoder=no_body,
        title="display/queue-events",
        description="Every queue event; projected onto the hall boards",
    )

    async def dead_letter(record: Any, reason: str) -> None:
        headers = {DLQ_REASON_HEADER: reason[:500], DLQ_CONSUMER_HEADER: CONSUMER}
        await dead_letters.publish(record.value or b"", key=record.key, headers=headers)

    def ours(envelope: CloudEvent) -> bool:
        return envelope.partitionkey.startswith(f"{site}:")

    async def prepare(record: Any, envelope: CloudEvent, data: EventData) -> Change | None:
        if not ours(envelope):  # the topic is shared: another site's event
            metrics.events.labels(envelope.type, "other_site").inc()
            return None
        change = change_for(site, envelope, data)
        if "call" in change:
            # Producer time (ms) of the record: ticketing's call times are whole seconds.
            change["call"]["sent_ms"] = record.timestamp
        return change

    def skip(record: Any, envelope: CloudEvent) -> Change | None:
        return place_of(envelope) if ours(envelope) else None

    async def apply(items: list[Item[Change]]) -> list[str]:
        return [a.status for a in await store.apply([item.payload for item in items])]

    consumer = SequencedConsumer(
        settings.group_id, committer, prepare, skip, apply, dead_letter, metrics.registry, health
    )

    @long_poll(subscriber, settings.batch_wait_ms)
    async def on_queue_events() -> None:
        """Apply queue events to the board projection in sequence; dead-letter the unreadable."""
        for type_, result in await consumer.handle(context):
            metrics.events.labels(type_, result).inc()

    return router, subscriber
