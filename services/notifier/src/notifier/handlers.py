"""Kafka handlers: queue events in, notices recorded in Redis (the sender sends them)."""

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import ConsumerRecord
from antre_contracts.batches import long_poll, no_body, tolerant_parser
from antre_contracts.commits import Committer
from antre_contracts.consuming import Item, Positions, SequencedConsumer
from antre_contracts.envelope import CloudEvent
from antre_contracts.events import EventData
from antre_contracts.phone import PhoneCipher
from antre_contracts.supervise import Health
from antre_contracts.topics import DLQ_CONSUMER_HEADER, DLQ_REASON_HEADER
from faststream import AckPolicy
from faststream._internal.context import ContextRepo
from faststream.kafka import KafkaRouter

from notifier.config import Settings
from notifier.metrics import Metrics
from notifier.notices import Plan, Rules, plan
from notifier.phones import InvalidPhone, normalise, number_key
from notifier.store import NotifierStore

log = logging.getLogger("notifier.events")
Publish = Callable[[bytes, bytes | None, str], Awaitable[None]]


@dataclass
class Deps:
    settings: Settings
    store: NotifierStore
    cipher: PhoneCipher
    rules: Rules
    metrics: Metrics
    wake: Callable[[], None]
    publish_dead_letter: Publish
    """(raw bytes, key, reason) -> the dead-letter topic."""

    @property
    def number_secret(self) -> bytes:
        """The key of the number's HMAC in Redis: its own setting, so a phone-key rotation
        (NEW,OLD) keeps every number's rate window and daily count."""
        return self.settings.number_hash_key.encode()


def build_router(
    deps: Deps, context: ContextRepo, committer: Committer, health: Health
) -> tuple[KafkaRouter, Any]:
    """One subscriber on the queue topic, in batches, committed after they are recorded: in
    the background (antre_contracts.commits), so the next batch does not wait for the broker.
    Returns the router and the subscriber (its consume loop is watched, see app.py)."""
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
        fetch_max_wait_ms=s.fetch_max_wait_ms,  # only an empty fetch waits (display config)
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        parser=tolerant_parser,  # a foreign record must reach the handler (dead letter)
        decoder=no_body,
    )

    async def dead_letter(record: Any, reason: str) -> None:
        await deps.publish_dead_letter(record.value or b"", record.key, reason)

    consumer = SequencedConsumer(
        s.group_id,
        committer,
        functools.partial(prepare, deps),
        skip,
        functools.partial(apply, deps),
        dead_letter,
        deps.metrics.registry,
        health,
    )

    @long_poll(subscriber, s.batch_wait_ms)
    async def on_queue_events() -> None:
        """Turn queue events into SMS notices (once each), recorded in Redis in sequence."""
        for type_, result in await consumer.handle(context):
            deps.metrics.events.labels(type_, result).inc()

    return router, subscriber


Payload = tuple[str, bytes]
"""(site, the plan as JSON) for apply.lua."""


async def prepare(
    deps: Deps, record: ConsumerRecord[Any, Any], envelope: CloudEvent, data: EventData
) -> Payload:
    """The event's plan of notices. Every event is recorded, even one that sends nothing: its
    sequence must be applied for the next one of its queue to follow it."""
    p = plan(data, deps.rules)
    event_phone = None
    if p.phone_token:
        try:
            event_phone = _phone(deps, p.phone_token)
        except (InvalidPhone, ValueError) as exc:
            # Ticketing refuses invalid numbers; one that still arrives gets no SMS.
            reason = f"ticket {envelope.subject}: {exc}; no SMS sent for it"
            await deps.publish_dead_letter(record.value or b"", record.key, reason)
            p = _without_event_phone(p)
    return _site(envelope), plan_json(p, event_phone)


def skip(record: ConsumerRecord[Any, Any], envelope: CloudEvent) -> Payload:
    """An event dead-lettered: nothing to send, its sequence still applied."""
    return _site(envelope), plan_json(Plan(), None)


async def apply(deps: Deps, items: list[Item[Payload]], _: Positions | None) -> list[str]:
    """Record the plans in Redis in one round trip; wake the sender for new notices. (Its
    offsets stay with Kafka's commits: the notifier's Redis is durable.)"""
    if not items:
        return []
    now_ms = int(time.time() * 1000)
    rows = [
        (site, item.event.partitionkey, item.event.epoch, item.event.sequence, plan)
        for item in items
        for site, plan in [item.payload]
    ]
    applied = await deps.store.apply_many(rows, deps.settings.ticket_ttl_s, now_ms)
    recorded_s = time.time()
    for item in items:
        deps.metrics.event_latency.observe(max(0.0, recorded_s - item.record.timestamp / 1000))
    queued = sum(a.queued for a in applied)
    if queued:
        deps.metrics.queued.inc(queued)
        deps.wake()
    return [a.verdict for a in applied]


def _site(envelope: CloudEvent) -> str:
    return envelope.partitionkey.split(":", 1)[0]


def _phone(deps: Deps, token: str) -> dict[str, str]:
    clear = deps.cipher.decrypt(token)
    e164 = normalise(clear, deps.settings.phone_region)
    return {
        "phone": token if e164 == clear else deps.cipher.encrypt(e164),
        "phone_key": number_key(e164, deps.number_secret),
    }


def _without_event_phone(p: Plan) -> Plan:
    return Plan(notices=[n for n in p.notices if n.phone != "event"], phone_token=None)


def plan_json(p: Plan, event_phone: dict[str, str] | None) -> bytes:
    """The plan as apply.lua reads it; `event_phone`: the event's phone token and number HMAC."""
    ticket = None
    if p.ticket is not None and event_phone is not None:
        ticket = {
            "id": p.ticket.ticket_id,
            "number": p.ticket.number,
            "service_id": p.ticket.service_id,
            **event_phone,
        }
    return orjson.dumps(
        {
            "ticket": ticket,
            "skips": p.skips,
            "notices": [
                {
                    "id": n.id,
                    "ticket": n.ticket_id,
                    "kind": n.kind,
                    "service_id": n.service_id,
                    "fields": orjson.dumps(n.fields).decode(),
                    "phone": n.phone,
                    "event_ms": n.event_ms,
                }
                for n in p.notices
            ],
            "event_phone": event_phone,
        }
    )


def dead_letter_headers(reason: str) -> dict[str, str]:
    return {DLQ_REASON_HEADER: reason[:500], DLQ_CONSUMER_HEADER: "notifier"}
