"""The display's Kafka consumer: queue events in, board changes applied, poison dead-lettered."""

import logging
from typing import Any

from antre_contracts import InvalidEvent, parse_event
from antre_contracts.batches import handle_batch, long_poll, no_body, tolerant_parser
from antre_contracts.commits import Committer
from antre_contracts.topics import DLQ_CONSUMER_HEADER, DLQ_REASON_HEADER
from faststream import AckPolicy
from faststream._internal.context import ContextRepo
from faststream.kafka import KafkaRouter

from display.config import Settings
from display.metrics import Metrics
from display.projection import Change, change_for
from display.store import Applied, BoardStore

log = logging.getLogger(__name__)
CONSUMER = "display"


def build_router(
    settings: Settings,
    site: str,
    store: BoardStore,
    metrics: Metrics,
    committer: Committer,
    context: ContextRepo,
) -> KafkaRouter:
    """One batch subscriber on the queue topic, one publisher to the dead-letter topic."""
    router = KafkaRouter()
    dead_letters = router.publisher(
        settings.dlq_topic,
        title="display/dead-letters",
        description="Queue events the display could not read, raw, with the reason in a header",
    )

    subscriber = router.subscriber(
        settings.topic,
        group_id=settings.group_id,
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

    @long_poll(subscriber, settings.batch_wait_ms)
    async def on_queue_events() -> None:
        """Apply queue events to the board projection; dead-letter what cannot be read."""
        types, applied = await handle_batch(context, committer, apply_batch)
        for type_, result in zip(types, applied, strict=True):
            metrics.events.labels(type_, result.status).inc()

    async def apply_batch(records: tuple[Any, ...]) -> tuple[list[str], list[Applied]]:
        """Dead-letter what cannot be read; apply the rest in one Redis call."""
        changes: list[Change] = []
        types: list[str] = []
        for record in records:
            try:
                envelope, data = parse_event(record.value)
            except InvalidEvent as exc:
                headers = {DLQ_REASON_HEADER: str(exc), DLQ_CONSUMER_HEADER: CONSUMER}
                await dead_letters.publish(record.value, key=record.key, headers=headers)
                metrics.events.labels("invalid", "dead_letter").inc()
                log.warning("dead-lettered an event: %s", exc)
                continue
            if not envelope.partitionkey.startswith(f"{site}:"):
                metrics.events.labels(envelope.type, "other_site").inc()
                continue
            change = change_for(site, envelope, data)
            if "call" in change:
                # Producer time (ms) of the record: ticketing's call times are whole seconds.
                change["call"]["sent_ms"] = record.timestamp
            changes.append(change)
            types.append(envelope.type)
        return types, await store.apply(changes)

    return router
