"""One batch of queue events through a consumer (display, notifier): read, put in sequence,
applied, committed; what cannot be read goes to the dead-letter topic, what is missing is
waited for.

The service gives three functions: `prepare` turns a parsed event into what its `apply` takes
(or None: not this consumer's business, e.g. another site), `skip` makes the item that only
moves a queue's sequence on (for an event dead-lettered with a readable envelope), and `apply`
applies items in one go, answering per item; "gap" means "held, not applied" (the sequencing
rule is in `antre_contracts.sequencing`, applied by the service's own Redis script).

Per batch:
1. Every record is parsed (`parse_event`). One that is not a queue event of the contract is
   dead-lettered with the reason; if its envelope was readable (a type this version does not
   know, bad data), its sequence is still consumed through `skip`, so its queue goes on.
2. The events held from earlier batches and the new ones are put in sequence per key
   (`in_sequence_order`) and applied in one call.
3. An `apply` that fails because Redis or Kafka is away (`transient`) rewinds the batch and
   tries again after a backoff, for as long as it takes: nothing is skipped. Any other
   exception is a poison event somewhere in the batch: the items are applied one by one, and the
   one that fails is tried `max_attempts` times (one rewind each), then dead-lettered with the
   exception as the reason and skipped. Its partition goes on.
4. Events answered "gap" stay held in memory. Offsets are committed up to the first held
   event of each partition and no further, so after a restart the partition is read again
   from there and the holds are rebuilt. `antre_consumer_held_events{group}` and
   `antre_consumer_held_oldest_seconds{group}` show them (an alert fires on a long hold).

Commits go through the background `Committer` (never in front of the next batch). The
message is read from the broker's context, not taken as a `KafkaMessage` parameter:
FastDepends resolves such a parameter with a sync call in a worker thread, a thread hop on
every batch.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import ResponseError

from antre_contracts.commits import Committer
from antre_contracts.envelope import CloudEvent, InvalidEvent, parse_event
from antre_contracts.events import EventData
from antre_contracts.redis_pool import UNAVAILABLE
from antre_contracts.sequencing import in_sequence_order
from antre_contracts.supervise import Health

if TYPE_CHECKING:  # the services bring FastStream; the contracts do not depend on it
    from faststream._internal.context import ContextRepo

log = logging.getLogger("antre.consumer")
P = TypeVar("P")
Place = tuple[TopicPartition, int]

# Redis answers with these while it starts, fails over or is full: try again later.
_BUSY_REPLIES = ("LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "OOM", "READONLY")


def transient(exc: BaseException) -> bool:
    """A failure of a dependency (Redis or Kafka away, slow, starting), not of the event."""
    if isinstance(exc, (*UNAVAILABLE, KafkaError, OSError, TimeoutError)):
        return True
    return isinstance(exc, ResponseError) and str(exc).startswith(_BUSY_REPLIES)


@dataclass(frozen=True)
class Item(Generic[P]):
    """One event on its way to `apply`: its record, its envelope, the service's payload."""

    record: Any
    event: CloudEvent
    payload: P

    @property
    def place(self) -> Place:
        return TopicPartition(self.record.topic, self.record.partition), self.record.offset

    @property
    def position(self) -> tuple[str, int, int]:
        return self.event.partitionkey, self.event.epoch, self.event.sequence


Prepare = Callable[[Any, CloudEvent, EventData], Awaitable[P | None]]
Skip = Callable[[Any, CloudEvent], P | None]
Positions = dict[TopicPartition, tuple[int, int]]
"""Per partition, the offsets a batch read: (its first record, past its last record)."""
Apply = Callable[[list[Item[P]], Positions | None], Awaitable[list[str]]]
"""Applies items, answering per item. A batch's first call gets the batch's `Positions` (a
consumer that keeps its offsets with its state stores them in the same write, and may raise
`Rewind`); the one-by-one calls after a failed batch get None. Called with no items when a
batch held none of the consumer's events, so that its offsets still move on."""
DeadLetter = Callable[[Any, str], Awaitable[None]]
Outcome = tuple[str, str]
"""(event type, result): what the service counts in its metrics."""


class Rewind(Exception):
    """Raised by `apply`: the state is behind what was read (its store lost writes, or is new).
    The batch is not applied; each partition named is read again from the offset given (None:
    from its beginning), the others from the batch's start."""

    def __init__(self, offsets: dict[TopicPartition, int | None]) -> None:
        super().__init__(", ".join(f"{tp.topic}/{tp.partition}: {o}" for tp, o in offsets.items()))
        self.offsets = offsets


class _TryAgain(Exception):
    """A poison candidate failed below its attempt limit: rewind and read it again."""


class SequencedConsumer(Generic[P]):
    """Holds what arrived ahead of its sequence; dead-letters what cannot be applied."""

    def __init__(
        self,
        group: str,
        committer: Committer,
        prepare: Prepare[P],
        skip: Skip[P],
        apply: Apply[P],
        dead_letter: DeadLetter,
        registry: CollectorRegistry,
        health: Health | None = None,
        max_attempts: int = 3,
    ) -> None:
        self.group, self.committer = group, committer
        self._prepare, self._skip, self._apply = prepare, skip, apply
        self._dead_letter, self.health, self.max_attempts = dead_letter, health, max_attempts
        self.held: dict[Place, tuple[Item[P], float]] = {}  # with the time it was first held
        self._attempts: dict[Place, int] = {}
        self._backoff = 0.25
        registry.register(_HeldCollector(self))

    async def handle(self, context: "ContextRepo") -> list[Outcome]:
        """The current batch of the broker's context: applied, held or dead-lettered."""
        message = context.get_local("message")
        if message is None:  # the broker's context was replaced (e.g. by a wrapping app)
            raise RuntimeError("no Kafka message in the broker's context")
        try:
            outcomes = await self._handle(message.consumer, message.raw_message)
        except Rewind as rewind:
            log.warning("the state is behind what was read: reading again from %s", rewind)
            await message.nack()  # every partition back to the batch's start, then:
            for tp, offset in rewind.offsets.items():
                for place in [p for p in self.held if p[0] == tp]:
                    del self.held[place]  # read again from `offset`, which is before it
                if offset is None:
                    await message.consumer.seek_to_beginning(tp)
                else:
                    message.consumer.seek(tp, offset)
            return []
        except Exception as exc:
            if isinstance(exc, _TryAgain):
                delay = 0.5
            elif transient(exc):
                if self.health is not None:
                    self.health.failing(exc)
                delay, self._backoff = self._backoff, min(2.0, self._backoff * 2)
            else:
                raise  # a bug of this consumer: FastStream logs it; the batch is read again
            await asyncio.sleep(delay)
            await message.nack()
            return []
        self._backoff = 0.25
        if self.health is not None:
            self.health.ok()
        return outcomes

    async def _handle(self, consumer: Any, records: tuple[Any, ...]) -> list[Outcome]:
        assigned = consumer.assignment()
        for place in [p for p in self.held if p[0] not in assigned]:
            del self.held[place]  # revoked: its new owner reads it again from the commit
        outcomes: list[Outcome] = []
        fresh: list[Item[P]] = []
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            if (tp, record.offset) in self.held:
                continue  # read again after a rewind: already held
            item = await self._read(record, outcomes)
            if item is not None:
                fresh.append(item)
        items = in_sequence_order(
            [item for item, _ in self.held.values()] + fresh, lambda it: it.position
        )
        new = {item.place for item in fresh}
        now = time.monotonic()
        for item, result in await self._apply_all(items, _positions(records)):
            if result == "gap":
                self.held.setdefault(item.place, (item, now))
            else:
                self.held.pop(item.place, None)
            if result != "gap" or item.place in new:
                outcomes.append((item.event.type, result))
        self.committer.after(consumer, self._safe_offsets(records))
        return outcomes

    async def _read(self, record: Any, outcomes: list[Outcome]) -> Item[P] | None:
        """Parse and prepare one record; dead-letter it when it is not a readable event."""
        try:
            event, data = parse_event(record.value or b"")
        except InvalidEvent as exc:
            await self._dead_letter(record, str(exc))
            outcomes.append(("invalid", "dead_letter"))
            log.warning("dead-lettered an event: %s", exc)
            if exc.envelope is None:
                return None
            payload = self._skip(record, exc.envelope)
            return None if payload is None else Item(record, exc.envelope, payload)
        try:
            payload = await self._prepare(record, event, data)
        except Exception as exc:
            if transient(exc):
                raise
            return await self._failed(Item(record, event, cast(P, None)), exc, outcomes)
        return None if payload is None else Item(record, event, payload)

    async def _apply_all(
        self, items: list[Item[P]], positions: Positions
    ) -> list[tuple[Item[P], str]]:
        """Each item with its result; a poison item is replaced by the one that skips it."""
        if not items and not positions:
            return []
        try:
            return list(zip(items, await self._apply(items, positions), strict=True))
        except Rewind:
            raise
        except Exception as exc:
            if transient(exc):
                raise
            log.warning("a batch failed (%r): applying its events one by one", exc)
        done: list[tuple[Item[P], str]] = []
        for item in items:
            try:
                (result,) = await self._apply([item], None)
            except Exception as exc:
                if transient(exc):
                    raise
                skipped = await self._failed(item, exc, [])
                if skipped is None:
                    done.append((item, "dead_letter"))
                    continue
                (moved,) = await self._apply([skipped], None)
                # Held, the skip waits in the poison's place for the events before it.
                done.append((skipped, "gap" if moved == "gap" else "dead_letter"))
                continue
            self._attempts.pop(item.place, None)
            done.append((item, result))
        return done

    async def _failed(
        self, item: Item[P], exc: Exception, outcomes: list[Outcome]
    ) -> Item[P] | None:
        """A failure the event itself causes: try it again, or give up on it after
        `max_attempts`: dead-letter it and answer the item that skips its sequence."""
        attempts = self._attempts.get(item.place, 0) + 1
        if attempts < self.max_attempts:
            self._attempts[item.place] = attempts
            log.warning("event %s failed (attempt %d): %r", item.event.id, attempts, exc)
            raise _TryAgain from exc
        self._attempts.pop(item.place, None)
        reason = f"failed {attempts} times: {type(exc).__name__}: {exc}"[:500]
        await self._dead_letter(item.record, reason)
        outcomes.append((item.event.type, "dead_letter"))
        log.warning("dead-lettered event %s: %s", item.event.id, reason)
        payload = self._skip(item.record, item.event)
        return None if payload is None else Item(item.record, item.event, payload)

    def _safe_offsets(self, records: tuple[Any, ...]) -> dict[TopicPartition, int]:
        """Per partition: past the batch, but never past an event still held."""
        offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            offsets[tp] = max(offsets.get(tp, 0), r.offset + 1)
        for tp, offset in self.held:
            if tp in offsets:
                offsets[tp] = min(offsets[tp], offset)
        return offsets


def _positions(records: tuple[Any, ...]) -> Positions:
    positions: Positions = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        first, end = positions.get(tp, (r.offset, r.offset + 1))
        positions[tp] = (min(first, r.offset), max(end, r.offset + 1))
    return positions


class _HeldCollector(Collector):
    """How many events wait for a missing one, and for how long the oldest has waited."""

    def __init__(self, consumer: SequencedConsumer[Any]) -> None:
        self.consumer = consumer

    def collect(self) -> Any:
        held = list(self.consumer.held.values())
        count = GaugeMetricFamily(
            "antre_consumer_held_events",
            "Events read ahead of a missing one of their queue: held, not applied, not committed",
            labels=["group"],
        )
        count.add_metric([self.consumer.group], len(held))
        oldest = GaugeMetricFamily(
            "antre_consumer_held_oldest_seconds",
            "How long the oldest held event has waited for the one missing before it (0: none)",
            labels=["group"],
        )
        now = time.monotonic()
        oldest.add_metric([self.consumer.group], max((now - t for _, t in held), default=0.0))
        yield count
        yield oldest


async def keep_consuming(broker: Any, subscriber: Any, health: Health) -> None:
    """Start the FastStream broker (its consumer and dead-letter producer) and watch its consume
    loop; run under a `Supervisor`. Kafka away at the start makes the start fail, and the
    supervisor tries again; a consume loop that ended (FastStream does not restart one) fails
    this watch, which stops the broker and starts it all again."""
    try:
        if not broker.running:
            await broker.start()
        while True:
            loops = subscriber.tasks
            if not subscriber.running or not loops or any(task.done() for task in loops):
                raise RuntimeError("the consume loop ended")
            health.ok()
            await asyncio.sleep(1.0)
    except Exception:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(broker.stop(), 5.0)
        raise
