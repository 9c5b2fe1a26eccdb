"""The sequencing consumer's bookkeeping (pure logic: an in-memory 'store' applies the rule,
fakes stand in for FastStream's message and Kafka's consumer): order, holds, commits capped at a
held event, rewinds, poison dead-lettered after its attempts."""

import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition
from antre_contracts.consuming import Item, Positions, Rewind, SequencedConsumer
from antre_contracts.sequencing import Verdict, verdict
from prometheus_client import CollectorRegistry
from redis.exceptions import ConnectionError as RedisConnectionError

TP = TopicPartition("t", 0)
EPOCH = 1_796_198_400_000


@dataclass
class Record:
    offset: int
    value: bytes
    topic: str = "t"
    partition: int = 0
    key: bytes = b"k"
    timestamp: int = 0


def event(key: str, seq: int, type_: str = "antre.ticket.service_started", **extra: Any) -> bytes:
    body = {
        "specversion": "1.0", "id": uuid.uuid4().hex, "source": "/antre/s/ticketing",
        "type": type_, "time": "2026-12-02T02:00:00Z", "subject": "x", "partitionkey": key,
        "sequence": seq, "epoch": EPOCH,
        "data": {"ticket_id": "t", "number": "A-001", "service_id": "ktp", "counter_id": "l-1",
                 "officer_id": "o", "started_at": "2026-12-02T02:00:00Z", "counter_seq": seq},
    }  # fmt: skip
    body.update(extra)
    return orjson.dumps(body)


@dataclass
class Consumer:
    seeks: list[tuple[TopicPartition, int | None]] = field(default_factory=list)

    def assignment(self) -> set[TopicPartition]:
        return {TP, TopicPartition("t", 1)}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))

    async def seek_to_beginning(self, tp: TopicPartition) -> None:
        self.seeks.append((tp, None))


@dataclass
class Message:
    raw_message: tuple[Record, ...]
    consumer: Consumer = field(default_factory=Consumer)
    nacked: bool = False

    async def nack(self) -> None:
        self.nacked = True


class Context:
    def __init__(self, message: Message) -> None:
        self.message = message

    def get_local(self, name: str) -> Any:
        return self.message


@dataclass
class Hall:
    """What the service would be: a store applying the rule, a dead-letter topic, a committer."""

    kept: dict[str, tuple[int, int]] = field(default_factory=dict)
    applied: list[tuple[str, int]] = field(default_factory=list)
    dead: list[tuple[int, str]] = field(default_factory=list)
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)
    fail_on: set[tuple[str, int]] = field(default_factory=set)
    redis_away: bool = False
    rewind: dict[TopicPartition, int | None] | None = None
    positions: list[Positions | None] = field(default_factory=list)

    async def prepare(self, record: Record, envelope: Any, data: Any) -> str:
        return "event"

    def skip(self, record: Record, envelope: Any) -> str:
        return "skip"

    async def apply(self, items: list[Item[str]], positions: Positions | None) -> list[str]:
        if self.redis_away:
            raise RedisConnectionError("Connection refused")
        self.positions.append(positions)
        if self.rewind is not None and positions is not None:
            raise Rewind(self.rewind)
        out = []
        for item in items:
            key, epoch, seq = item.position
            if item.payload == "event" and (key, seq) in self.fail_on:
                raise ValueError(f"cannot apply {key} {seq}")
            v = verdict(self.kept.get(key, (0, 0)), epoch, seq)
            if v is Verdict.apply:
                self.kept[key] = (epoch, seq)
                self.applied.append((key, seq))
            out.append(v.value)
        return out

    async def dead_letter(self, record: Record, reason: str) -> None:
        self.dead.append((record.offset, reason))

    def after(self, consumer: Any, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


def consumer_for(hall: Hall) -> SequencedConsumer[str]:
    return SequencedConsumer(
        "g", hall, hall.prepare, hall.skip, hall.apply, hall.dead_letter,  # type: ignore[arg-type]
        CollectorRegistry(), max_attempts=3,
    )  # fmt: skip


async def handle(consumer: SequencedConsumer[str], *records: Record) -> Message:
    message = Message(records)
    await consumer.handle(Context(message))  # type: ignore[arg-type]
    return message


async def test_e2_e1_e2_in_one_batch_applies_both_and_drops_the_copy() -> None:
    hall = Hall()
    c = consumer_for(hall)
    await handle(c, Record(0, event("q", 2)), Record(1, event("q", 1)), Record(2, event("q", 2)))
    assert hall.applied == [("q", 1), ("q", 2)]
    assert hall.commits == [{TP: 3}]


async def test_a_gap_is_held_and_nothing_is_committed_past_it_until_it_fills() -> None:
    hall = Hall()
    c = consumer_for(hall)
    await handle(c, Record(0, event("q", 1)), Record(1, event("q", 3)), Record(2, event("x", 1)))
    assert hall.applied == [("q", 1), ("x", 1)]
    assert hall.commits[-1] == {TP: 1}, "not past the held q3 (offset 1)"
    assert len(c.held) == 1
    await handle(c, Record(3, event("q", 2)))
    assert hall.applied[-2:] == [("q", 2), ("q", 3)]
    assert hall.commits[-1] == {TP: 4} and not c.held


async def test_redis_away_rewinds_the_batch_without_dead_letters() -> None:
    hall = Hall(redis_away=True)
    c = consumer_for(hall)
    message = await handle(c, Record(0, event("q", 1)))
    assert message.nacked and hall.dead == [] and hall.commits == []
    hall.redis_away = False
    await handle(c, Record(0, event("q", 1)))
    assert hall.applied == [("q", 1)]


async def test_a_poison_event_is_dead_lettered_after_three_attempts_and_its_queue_goes_on() -> None:
    hall = Hall(fail_on={("q", 2)})
    c = consumer_for(hall)
    batch = (Record(0, event("q", 1)), Record(1, event("q", 2)), Record(2, event("q", 3)))
    for _ in range(2):  # attempts 1 and 2: the batch is read again
        assert (await handle(c, *batch)).nacked
        assert hall.dead == []
    message = await handle(c, *batch)
    assert not message.nacked
    assert [(offset, reason.split(":")[0]) for offset, reason in hall.dead] == [
        (1, "failed 3 times")
    ]
    assert "ValueError" in hall.dead[0][1]
    assert hall.applied == [("q", 1), ("q", 2), ("q", 3)], "q2 skipped, its sequence consumed"
    assert hall.commits[-1] == {TP: 3}


@pytest.mark.parametrize(
    ("raw", "skipped"),
    [
        (b"not json", False),
        (event("q", 2, type_="antre.ticket.teleported"), True),  # readable envelope
        (event("q", 2, specversion="2.0"), False),
        (event("q", 2).replace(b'"sequence":2', b'"sequence":18446744073709551617'), False),
        (event("q", 2, data=[1, 2]), False),
        (event("q", 2, data={"ticket_id": "t"}), True),  # fields missing
    ],
    ids=["not json", "unknown type", "unknown version", "oversized", "wrong shape", "missing"],
)
async def test_an_unreadable_event_is_dead_lettered_with_its_reason(
    raw: bytes, skipped: bool
) -> None:
    hall = Hall()
    c = consumer_for(hall)
    await handle(c, Record(0, event("q", 1)), Record(1, raw), Record(2, event("q", 3)))
    assert [offset for offset, _ in hall.dead] == [1]
    # With a readable envelope its place is taken, so q3 follows; without, q3 waits for a q2.
    assert hall.applied == ([("q", 1), ("q", 2), ("q", 3)] if skipped else [("q", 1)])


async def test_the_first_apply_of_a_batch_gets_its_positions_even_without_items() -> None:
    hall = Hall()
    c = consumer_for(hall)
    other = TopicPartition("t", 1)
    await handle(
        c, Record(4, event("q", 1)), Record(7, event("q", 2)), Record(2, b"{}", partition=1)
    )
    assert hall.positions[0] == {TP: (4, 8), other: (2, 3)}
    hall.positions.clear()

    async def not_ours(record: Record, envelope: Any, data: Any) -> None:
        return None

    c._prepare = not_ours  # type: ignore[assignment]
    await handle(c, Record(8, event("q", 3)))
    assert hall.positions == [{TP: (8, 9)}], "a batch of other sites' events moves the offsets"


async def test_a_rewind_rereads_the_named_partitions_from_their_offsets_and_drops_their_holds() -> (
    None
):
    hall = Hall()
    c = consumer_for(hall)
    await handle(c, Record(0, event("q", 2)))  # held: q 1 is missing
    assert len(c.held) == 1
    hall.rewind = {TP: None, TopicPartition("t", 1): 5}
    message = await handle(c, Record(1, event("x", 1)))
    assert message.nacked, "every partition of the batch goes back to its start first"
    assert message.consumer.seeks == [(TP, None), (TopicPartition("t", 1), 5)]
    assert c.held == {}, "held events are read again from the rewound offset"
    assert hall.applied == [] and hall.commits == [{TP: 0}], "nothing applied or committed"
