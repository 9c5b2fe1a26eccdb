"""Each queue strictly in sequence, with hand-made records on a real topic: a call sent again
behind a later one is not lost, a gap is held (and not committed past), an epoch begins again at
1, and an unreadable event still lets its queue go on."""

from typing import Any

import orjson
from aiokafka.admin import AIOKafkaAdminClient
from antre_contracts.topics import DLQ_REASON_HEADER

from .test_display_board import board, dead_letters

DAY, LATER = 1_796_198_400_000, 1_796_230_000_000


def numbers(snapshot: dict[str, Any]) -> list[str]:
    return [c["number"] for c in snapshot["recent"]]


async def metric(http: Any, name: str) -> float | None:
    for line in (await http.get("/metrics")).text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


async def committed(bootstrap: str, group: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp.partition: meta.offset for tp, meta in offsets.items()}
    finally:
        await admin.close()


async def test_a_call_sent_again_behind_a_later_one_still_reaches_the_board(
    new_topic, display_settings, events, produce, tools
) -> None:
    """The relay after a partial failure: Kafka reads e2, e1, e2. Applying any sequence above
    the last dropped e1 as stale, and its call never showed."""
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    first = events.called("A-001", "ktp-el", 1, waiting=1)
    second = events.called("A-002", "ktp-el", 2, waiting=0)
    async with tools.running(display_settings(topic, dlq)) as display:
        await produce(topic, second, first, second)

        async def both() -> dict[str, Any] | None:
            snap = await board(display.http)
            return snap if len(snap["recent"]) == 2 else None

        snap = await tools.eventually(both, "both calls on the board")
        assert numbers(snap) == ["A-002", "A-001"]
        assert next(s for s in snap["services"] if s["id"] == "ktp-el")["waiting"] == 0


async def test_a_gap_is_held_and_not_committed_past_until_the_missing_event_comes(
    new_topic, display_settings, events, produce, tools, kafka_bootstrap
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    settings = display_settings(topic, dlq)
    first = events.called("A-001", "ktp-el", 1)
    missing = events.called("A-002", "ktp-el", 2)
    third = events.called("A-003", "ktp-el", 3)
    async with tools.running(settings) as display:
        await produce(topic, first, third)

        async def held() -> bool:
            return await metric(display.http, "antre_consumer_held_events") == 1

        await tools.eventually(held, "A-003 held for the missing A-002")
        assert numbers(await board(display.http)) == ["A-001"]
        offsets = await committed(kafka_bootstrap, settings.group_id)
        assert max(offsets.values(), default=0) <= 1, f"committed past the held event: {offsets}"

        await produce(topic, missing)

        async def filled() -> bool:
            return numbers(await board(display.http)) == ["A-003", "A-002", "A-001"]

        await tools.eventually(filled, "the gap filled: A-002 and the held A-003 applied")

        async def released() -> bool:
            offsets = await committed(kafka_bootstrap, settings.group_id)
            return await metric(display.http, "antre_consumer_held_events") == 0 and (
                max(offsets.values(), default=0) == 3
            )

        await tools.eventually(released, "nothing held, committed past all three")


async def test_a_new_epoch_begins_at_one_and_a_late_event_of_the_old_one_is_stale(
    new_topic, display_settings, events, produce, tools
) -> None:
    """A restore or restart of ticketing's Redis numbers the queue from 1 again in a later
    epoch: without the epoch those events were dropped as copies."""
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    events.begin_epoch(DAY)
    old = [events.called(f"A-00{i}", "ktp-el", 1) for i in (1, 2, 3)]
    late_old = events.called("A-004", "ktp-el", 1)  # sequence 4 of the old epoch
    events.begin_epoch(LATER)
    pk = f"{events.site}:ktp-el"
    start = events.envelope(
        "antre.queue.epoch_started", pk,
        {"service_id": "ktp-el", "service_day": "2026-12-02", "cause": "restart",
         "waiting_count": 5, "started_at": "2026-12-02T03:00:00Z"},
    )  # fmt: skip
    renumbered = events.called("A-009", "ktp-el", 2, waiting=4)  # sequence 2 of the new epoch
    async with tools.running(display_settings(topic, dlq)) as display:
        await produce(topic, *old, (pk, start), renumbered)

        async def after_restart() -> dict[str, Any] | None:
            snap = await board(display.http)
            return snap if numbers(snap)[:1] == ["A-009"] else None

        snap = await tools.eventually(after_restart, "the new epoch's call on the board")
        assert next(s for s in snap["services"] if s["id"] == "ktp-el")["waiting"] == 4
        await produce(topic, late_old)
        stale = 'display_events_total{result="stale",type="antre.ticket.called"} 1.0'

        async def dropped() -> bool:
            return stale in (await display.http.get("/metrics")).text

        await tools.eventually(dropped, "the old epoch's late event counted as stale")
        assert "A-004" not in numbers(await board(display.http))


async def test_an_unreadable_event_is_dead_lettered_and_its_queue_goes_on(
    new_topic, display_settings, events, produce, tools, kafka_bootstrap
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    pk = f"{events.site}:ktp-el"
    first = events.called("A-001", "ktp-el", 1)
    unknown = events.envelope("antre.ticket.teleported", pk, {"ticket_id": "x"})  # sequence 2
    huge = orjson.loads(events.called("A-002", "ktp-el", 1)[1])
    huge["sequence"] = 3
    oversized = orjson.dumps(huge).replace(
        b'"counter_seq":2', b'"counter_seq":18446744073709551617'
    )
    events.seqs[pk] = 3
    last = events.called("A-003", "ktp-el", 1)  # sequence 4
    async with tools.running(display_settings(topic, dlq)) as display:
        await produce(topic, first, (pk, unknown), (pk, oversized), last)

        async def shown() -> bool:
            return numbers(await board(display.http)) == ["A-003", "A-001"]

        await tools.eventually(shown, "the calls around the two bad events on the board")
    records = await dead_letters(kafka_bootstrap, dlq, 2)
    reasons = sorted(dict(r.headers)[DLQ_REASON_HEADER].decode() for r in records)
    assert "unknown event type 'antre.ticket.teleported'" in reasons[1]
    assert "counter_seq" in reasons[0] and "less than or equal" in reasons[0]
