"""Kafka handlers: queue events in, notices recorded in Redis (the sender sends them)."""

import functools
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import ConsumerRecord
from antre_contracts.batches import handle_batch, long_poll, no_body, tolerant_parser
from antre_contracts.commits import Committer
from antre_contracts.envelope import InvalidEvent, parse_event
from antre_contracts.phone import PhoneCipher
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
    def rate_secret(self) -> bytes:
        return hashlib.sha256(b"antre-notifier-rate:" + self.settings.phone_key.encode()).digest()


def build_router(deps: Deps, context: ContextRepo, committer: Committer) -> KafkaRouter:
    """One subscriber on the queue topic, in batches, committed after they are recorded: in
    the background (antre_contracts.commits), so the next batch does not wait for the broker."""
    s = deps.settings
    router = KafkaRouter()

    subscriber = router.subscriber(
        s.topic,
        group_id=s.group_id,
        batch=True,
        max_records=500,
        fetch_max_wait_ms=s.fetch_max_wait_ms,  # only an empty fetch waits (display config)
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        parser=tolerant_parser,  # a foreign record must reach the handler (dead letter)
        decoder=no_body,
    )

    @long_poll(subscriber, s.batch_wait_ms)
    async def on_queue_events() -> None:
        """Turn queue events into SMS notices (once each), recorded in Redis."""
        await handle_batch(context, committer, functools.partial(handle_records, deps))

    return router


async def handle_records(deps: Deps, records: tuple[ConsumerRecord[Any, Any], ...]) -> None:
    """Plan every record; dead-letter the bad ones; apply the rest in one Redis round trip."""
    items: list[tuple[str, str, int, bytes]] = []
    for rec in records:
        raw: bytes = rec.value or b""
        try:
            envelope, data = parse_event(raw)
        except InvalidEvent as exc:
            deps.metrics.events.labels("invalid", "dead_lettered").inc()
            await deps.publish_dead_letter(raw, rec.key, str(exc))
            continue
        p = plan(data, deps.rules)
        event_phone = None
        if p.phone_token:
            try:
                event_phone = _phone(deps, p.phone_token)
            except (InvalidPhone, ValueError) as exc:
                # Ticketing refuses invalid numbers; one that still arrives gets no SMS.
                reason = f"ticket {envelope.subject}: {exc}; no SMS sent for it"
                await deps.publish_dead_letter(raw, rec.key, reason)
                p = _without_event_phone(p)
        if not p.notices and p.ticket is None and not p.skips:
            deps.metrics.events.labels(envelope.type, "nothing_to_send").inc()
            continue
        site = envelope.partitionkey.split(":", 1)[0]
        items.append((site, envelope.partitionkey, envelope.sequence, _plan_json(p, event_phone)))
    now_ms = int(time.time() * 1000)
    applied = await deps.store.apply_many(items, deps.settings.ticket_ttl_s, now_ms)
    recorded_s = time.time()
    for rec in records:
        deps.metrics.event_latency.observe(max(0.0, recorded_s - rec.timestamp / 1000))
    queued = sum(a.queued for a in applied)
    for a in applied:
        deps.metrics.events.labels("ticket", "applied" if a.new else "duplicate").inc()
    if queued:
        deps.metrics.queued.inc(queued)
        deps.wake()


def _phone(deps: Deps, token: str) -> dict[str, str]:
    clear = deps.cipher.decrypt(token)
    e164 = normalise(clear, deps.settings.phone_region)
    return {
        "phone": token if e164 == clear else deps.cipher.encrypt(e164),
        "phone_key": number_key(e164, deps.rate_secret),
    }


def _without_event_phone(p: Plan) -> Plan:
    return Plan(notices=[n for n in p.notices if n.phone != "event"], phone_token=None)


def _plan_json(p: Plan, event_phone: dict[str, str] | None) -> bytes:
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
