"""The display's Kafka consumer: queue events in, applied to the board in sequence per queue.

Its offsets live in the display's Redis, written by the script that applies the events
(apply.lua), and the consumer seeks to them when it is given partitions. The projection and
the offsets so roll back together: after a crash of a Redis that does not fsync every write,
or a new empty one, Kafka replays what the projection lacks. Kafka's own commits are still made
(the consumer-lag probe reads them) but never decide where the display reads from."""

import asyncio
import logging
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from antre_contracts import CloudEvent, EventData
from antre_contracts.batches import long_poll, no_body, tolerant_parser
from antre_contracts.commits import Committer
from antre_contracts.consuming import Item, Positions, Rewind, SequencedConsumer
from antre_contracts.supervise import Health
from antre_contracts.topics import DLQ_CONSUMER_HEADER, DLQ_REASON_HEADER
from faststream import AckPolicy
from faststream._internal.context import ContextRepo
from faststream.kafka import KafkaRouter

from display.config import Settings
from display.metrics import Metrics
from display.projection import Change, change_for, place_of
from display.store import Batch, Behind, BoardStore

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

    offsets = StoredOffsets(store, settings.topic)
    subscriber = router.subscriber(
        settings.topic,
        listener=offsets,
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

    async def apply(items: list[Item[Change]], positions: Positions | None) -> list[str]:
        changes = [
            {**item.payload, "tp": _tp(item.record.topic, item.record.partition),
             "off": item.record.offset}
            for item in items
        ]  # fmt: skip
        batch = None
        if positions is not None:
            read = {_tp(tp.topic, tp.partition): span for tp, span in positions.items()}
            batch = Batch(read, frozenset(offsets.fresh & read.keys()))
        try:
            applied = await store.apply(changes, batch)
        except Behind as behind:
            offsets.fresh |= {tp for tp, o in behind.offsets.items() if o < 0}
            raise Rewind(
                {_parse_tp(tp): o if o >= 0 else None for tp, o in behind.offsets.items()}
            ) from None
        if batch is not None:
            offsets.fresh -= batch.read.keys()
        return [a.status for a in applied]

    consumer = SequencedConsumer(
        settings.group_id, committer, prepare, skip, apply, dead_letter, metrics.registry, health
    )

    @long_poll(subscriber, settings.batch_wait_ms)
    async def on_queue_events() -> None:
        """Apply queue events to the board projection in sequence; dead-letter the unreadable."""
        for type_, result in await consumer.handle(context):
            metrics.events.labels(type_, result).inc()

    offsets.subscriber = subscriber
    return router, subscriber


def _tp(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


def _parse_tp(text: str) -> TopicPartition:
    topic, _, partition = text.rpartition(":")
    return TopicPartition(topic, int(partition))


class StoredOffsets(ConsumerRebalanceListener):  # type: ignore[misc]
    """Seeks each partition the display is given to the offset its Redis keeps (one it has
    none for: to its beginning, to build the projection from nothing).

    aiokafka hands out records as soon as partitions are assigned, before the assignment
    callback has finished: so everything that needs a round trip (the offsets in Redis, the
    partitions' beginnings) is read in the revocation callback, which runs before every join,
    the first one too, and the assignment callback only seeks. If Redis cannot be read then, the
    partitions start at Kafka's commits, and apply.lua sends the consumer back if that is wrong.
    """

    def __init__(self, store: BoardStore, topic: str) -> None:
        self.store, self.topic = store, topic
        self.subscriber: Any = None
        self.fresh: set[str] = set()
        """Partitions positioned at their beginning, not yet applied from."""
        self._plan: dict[TopicPartition, tuple[int, bool]] = {}

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.fresh -= {_tp(tp.topic, tp.partition) for tp in revoked}
        self._plan = {}
        consumer = self.subscriber.consumer if self.subscriber is not None else None
        if consumer is None:
            return
        partitions = consumer.partitions_for_topic(self.topic)
        if not partitions:
            return  # no metadata yet: Kafka's commits, checked by apply.lua
        tps = [TopicPartition(self.topic, p) for p in partitions]
        try:
            stored = await asyncio.wait_for(self.store.offsets(), 3.0)
            beginnings = await asyncio.wait_for(consumer.beginning_offsets(tps), 3.0)
        except Exception as exc:  # Redis or Kafka away: apply.lua checks the first batch
            log.warning("offsets not read (%r): starting at Kafka's commits", exc)
            return
        for tp in tps:
            key = _tp(tp.topic, tp.partition)
            self._plan[tp] = (stored[key], False) if key in stored else (beginnings[tp], True)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer = self.subscriber.consumer if self.subscriber is not None else None
        if consumer is None:
            return
        for tp in assigned:  # no await before the seeks: records may already be handed out
            if tp in self._plan:
                offset, fresh = self._plan[tp]
                consumer.seek(tp, offset)
                if fresh:
                    self.fresh.add(_tp(tp.topic, tp.partition))
        log.info("reading from the offsets kept in Redis: %s", {
            _tp(tp.topic, tp.partition): self._plan.get(tp) for tp in assigned
        })  # fmt: skip
