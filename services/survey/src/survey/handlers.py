"""Kafka handler: served tickets in (ticket.completed, outcome served), recorded in Redis as
able to answer. Other events are not the survey's business; unreadable records go to the
dead-letter topic (antre_contracts.consuming)."""

import functools
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from antre_contracts import Catalog, Outcome, TicketCompleted
from antre_contracts.batches import long_poll, no_body, tolerant_parser
from antre_contracts.commits import Committer
from antre_contracts.consuming import Item, Positions, SequencedConsumer
from antre_contracts.envelope import CloudEvent
from antre_contracts.events import EventData
from antre_contracts.supervise import Health
from faststream import AckPolicy
from faststream._internal.context import ContextRepo
from faststream.kafka import KafkaRouter

from survey.config import Settings
from survey.metrics import Metrics
from survey.store import Served, SurveyStore

DeadLetter = Callable[[bytes, bytes | None, str], Awaitable[None]]


@dataclass
class Deps:
    settings: Settings
    catalog: Catalog
    site: str
    store: SurveyStore
    metrics: Metrics
    dead_letter: DeadLetter


def build_router(
    deps: Deps, context: ContextRepo, committer: Committer, health: Health
) -> tuple[KafkaRouter, Any]:
    """One batch subscriber on the queue topic, committed after the batch is recorded."""
    s = deps.settings
    router = KafkaRouter()
    subscriber = router.subscriber(
        s.topic,
        group_id=s.group_id,
        group_instance_id=s.group_instance_id,
        session_timeout_ms=s.session_timeout_ms,
        heartbeat_interval_ms=s.session_timeout_ms // 4,
        batch=True,
        max_records=500,
        fetch_max_wait_ms=s.fetch_max_wait_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        parser=tolerant_parser,
        decoder=no_body,
    )

    async def dead_letter(record: Any, reason: str) -> None:
        await deps.dead_letter(record.value or b"", record.key, reason)

    consumer = SequencedConsumer(
        s.group_id,
        committer,
        functools.partial(prepare, deps),
        lambda record, envelope: None,  # a dead-lettered event: nothing to record
        functools.partial(apply, deps),
        dead_letter,
        deps.metrics.registry,
        health,
    )

    @long_poll(subscriber, s.batch_wait_ms)
    async def on_queue_events() -> None:
        """Served tickets become able to answer the survey (once each)."""
        for type_, result in await consumer.handle(context):
            deps.metrics.events.labels(type_, result).inc()

    return router, subscriber


async def prepare(deps: Deps, record: Any, envelope: CloudEvent, data: EventData) -> Served | None:
    """A served ticket of this site; anything else is not the survey's business."""
    if not isinstance(data, TicketCompleted) or data.outcome is not Outcome.served:
        return None
    if envelope.partitionkey.split(":", 1)[0] != deps.site:
        return None
    service = deps.catalog.service_by_id.get(data.service_id)
    agency = service.agency if service is not None else "unknown"
    day = data.completed_at.astimezone(deps.catalog.site.tz).date().isoformat()
    return Served(
        data.ticket_id,
        data.number,
        data.service_id,
        agency,
        data.counter_id,
        day,
        int(data.completed_at.timestamp() * 1000),
        secrets.token_urlsafe(12),  # what the tablet answers with: never the ticket id
    )


async def apply(deps: Deps, items: list[Item[Served]], _: Positions | None) -> list[str]:
    if not items:
        return []
    s = deps.settings
    fresh = await deps.store.served(
        [item.payload for item in items],
        s.answer_window_s * 1000,
        s.tablet_window_s * 1000,
        int(time.time() * 1000),
    )
    for item, new in zip(items, fresh, strict=True):
        if new:
            deps.metrics.eligible.labels(item.payload.agency_id).inc()
    return ["applied" if new else "copy" for new in fresh]
