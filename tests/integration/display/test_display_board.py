"""The display against the real Kafka and Redis: projection, idempotence, restart, poison."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from antre_contracts.topics import DLQ_REASON_HEADER


async def board(http: Any, **params: str) -> dict[str, Any]:
    response = await http.get("/api/v1/board", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def counter(snapshot: dict[str, Any], number: int) -> dict[str, Any]:
    return next(c for c in snapshot["counters"] if c["number"] == number)


async def test_a_call_shows_on_the_board_with_its_counter_and_announcement(
    new_topic, display_settings, events, produce, tools
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq)) as display:
        await produce(topic, events.counter_state(3, "open", ["akta"]))
        await produce(topic, events.called("C-017", "akta", 3, waiting=5))

        async def called() -> dict[str, Any] | None:
            snap = await board(display.http)
            return snap if snap["recent"] else None

        snap = await tools.eventually(called, "the call reaches the board")
        tile = counter(snap, 3)
        assert tile["state"] == "open" and tile["ticket"]["number"] == "C-017"
        assert snap["recent"][0]["announce"] == (
            "Nomor antrean ce nol satu tujuh, silakan menuju loket tiga"
        )
        assert next(s for s in snap["services"] if s["id"] == "akta")["waiting"] == 5
        # A zone-b board does not show a zone-a counter or call.
        other = await board(display.http, zone="b")
        assert other["recent"] == [] and all(c["zone"] == "b" for c in other["counters"])


async def test_calls_of_the_same_millisecond_are_listed_by_number(
    new_topic, display_settings, events, produce, tools
) -> None:
    """Two counters calling back parked tickets together: one `at`, any arrival order. The
    display and every board order them by number (Lua's sort is not stable)."""
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    at = datetime.now(UTC).replace(microsecond=123000)
    async with tools.running(display_settings(topic, dlq)) as display:
        await produce(topic, events.called("C-002", "akta", 5, at=at))
        await produce(topic, events.called("A-007", "ktp-el", 1, at=at))
        await produce(topic, events.called("B-003", "kk", 3, at=at))

        async def all_three() -> dict[str, Any] | None:
            snap = await board(display.http)
            return snap if len(snap["recent"]) == 3 else None

        snap = await tools.eventually(all_three, "three calls on the board")
        assert [c["number"] for c in snap["recent"]] == ["A-007", "B-003", "C-002"]


async def test_copies_are_dropped_and_an_early_event_waits_for_its_turn(
    new_topic, display_settings, events, produce, tools, redis_client, site_id
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    first = events.called("A-001", "ktp-el", 1, waiting=9)
    second = events.called("A-002", "ktp-el", 1, waiting=8)
    older_state = events.counter_state(1, "break", ["ktp-el"])
    newer_state = events.counter_state(1, "open", ["ktp-el"])
    async with tools.running(display_settings(topic, dlq)) as display:
        # Out of order within the counter's key: the newer "open" comes before the "break".
        await produce(topic, first, second, first, newer_state, older_state, second)
        last = events.called("A-003", "ktp-el", 1, waiting=7)
        await produce(topic, last)

        async def settled() -> dict[str, Any] | None:
            snap = await board(display.http)
            return snap if snap["recent"] and snap["recent"][0]["number"] == "A-003" else None

        snap = await tools.eventually(settled, "the last call reaches the board")
        assert [c["number"] for c in snap["recent"]] == ["A-003", "A-002", "A-001"]
        assert counter(snap, 1)["state"] == "open"  # the "break" came first, then the "open"
        assert next(s for s in snap["services"] if s["id"] == "ktp-el")["waiting"] == 7
        # Copies appended nothing: one update per call. The counter's states came in their
        # order, never "open" before "break" (either may be overtaken by A-003 from another
        # partition, whose later counter_seq then leaves the tile as it is).
        stream = await redis_client.xrange(f"{{{site_id}}}:display:board")
        updates = [orjson.loads(fields[b"u"]) for _, fields in stream]
        assert [u["call"]["number"] for u in updates if "call" in u] == ["A-001", "A-002", "A-003"]
        states = [u["counter"]["state"] for u in updates if u["type"].endswith("state_changed")]
        assert states in ([], ["break"], ["break", "open"])
        copies = 'display_events_total{result="copy",type="antre.ticket.called"} 2.0'

        async def counted() -> bool:
            # Counted just after Redis answers, so a moment after the board shows it.
            return copies in (await display.http.get("/metrics")).text

        await tools.eventually(counted, "both repeated calls counted as copies")


async def test_a_restarted_display_shows_the_board_at_once_and_catches_up(
    new_topic, display_settings, events, produce, tools
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    settings = display_settings(topic, dlq)
    async with tools.running(settings) as display:
        await produce(topic, events.called("A-010", "ktp-el", 2))

        async def shown() -> bool:
            return bool((await board(display.http))["recent"])

        await tools.eventually(shown, "the first call reaches the board")
    # While the display is down the hall keeps calling.
    await produce(topic, events.called("A-011", "ktp-el", 2), events.called("B-004", "kk", 1))
    async with tools.running(settings) as display:
        snap = await board(display.http)
        assert snap["recent"][-1]["number"] == "A-010"  # the board is back before catching up

        async def caught_up() -> dict[str, Any] | None:
            snap = await board(display.http)
            return snap if len(snap["recent"]) == 3 else None

        snap = await tools.eventually(caught_up, "the missed calls reach the board")
        assert {c["number"] for c in snap["recent"]} == {"A-010", "A-011", "B-004"}
        assert counter(snap, 2)["ticket"]["number"] == "A-011"


async def test_a_poison_event_is_dead_lettered_with_its_reason_and_the_board_goes_on(
    new_topic, display_settings, events, produce, tools, kafka_bootstrap
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    unknown = events.envelope("antre.ticket.teleported", f"{events.site}:kk", {"x": 1})
    async with tools.running(display_settings(topic, dlq)) as display:
        await produce(topic, ("k", b"\xff not json"), (f"{events.site}:kk", unknown))
        await produce(topic, events.called("B-001", "kk", 1))

        async def shown() -> bool:
            return bool((await board(display.http))["recent"])

        await tools.eventually(shown, "the call after the poison reaches the board")
    records = await dead_letters(kafka_bootstrap, dlq, 2)
    reasons = {r.value: dict(r.headers)[DLQ_REASON_HEADER].decode() for r in records}
    assert reasons[b"\xff not json"].startswith("not a CloudEvents 1.0 queue event")
    assert "unknown event type 'antre.ticket.teleported'" in reasons[unknown]
    assert orjson.loads(unknown)["type"] == "antre.ticket.teleported"


async def test_foreign_records_that_faststream_cannot_parse_are_dead_lettered_too(
    new_topic, display_settings, events, produce, tools, kafka_bootstrap
) -> None:
    """A binary header, or `content-type: application/json` on a body that is not JSON: such
    records used to fail the batch inside FastStream, before the handler (no dead letter, the
    batch skipped by the next commit, good events in it lost for the board)."""
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    good = events.called("B-007", "kk", 1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    async with tools.running(display_settings(topic, dlq)) as display:
        try:
            key = f"{events.site}:kk".encode()
            await producer.send(topic, b"binary header", key=key, headers=[("x", b"\xff\xfe")])
            await producer.send(
                topic, b"{broken", key=key, headers=[("content-type", b"application/json")]
            )
            await producer.send(topic, good[1], key=good[0].encode())
            await producer.flush()
        finally:
            await producer.stop()

        async def shown() -> bool:
            return any(c["number"] == "B-007" for c in (await board(display.http))["recent"])

        await tools.eventually(shown, "the call after the foreign records reaches the board")
    records = await dead_letters(kafka_bootstrap, dlq, 2)
    assert {r.value for r in records} == {b"binary header", b"{broken"}


async def dead_letters(kafka_bootstrap: str, dlq: str, n: int) -> list[Any]:
    """The first n records of the dead-letter topic (20 s at most)."""
    consumer = AIOKafkaConsumer(
        dlq, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        records: list[Any] = []
        while len(records) < n:
            batch = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 20)
            records += [r for rs in batch.values() for r in rs]
        return records
    finally:
        await consumer.stop()
