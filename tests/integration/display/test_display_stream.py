"""The live board stream: ids, Last-Event-ID resumes, filters, and fan-out across replicas."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx


@contextlib.asynccontextmanager
async def stream(
    url: str, tools: Any, last_id: str | None = None, **params: str
) -> AsyncIterator[AsyncIterator[Any]]:
    headers = {"Last-Event-ID": last_id} if last_id else {}
    async with (
        httpx.AsyncClient(base_url=url, timeout=30) as http,
        http.stream("GET", "/api/v1/board/stream", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield tools.read_sse(response)


async def next_data(events: AsyncIterator[Any]) -> Any:
    """The next snapshot or update (heartbeats skipped)."""
    while True:
        event = await asyncio.wait_for(anext(events), 20)
        if event.event != "heartbeat":
            return event


async def test_a_board_resuming_with_last_event_id_misses_nothing(
    new_topic, display_settings, events, produce, tools
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq)) as display:
        async with stream(display.url, tools) as sse:
            snapshot = await next_data(sse)
            assert snapshot.event == "snapshot" and snapshot.id is not None
            await produce(topic, events.called("A-001", "ktp-el", 1))
            first = await next_data(sse)
            assert first.event == "update" and first.data["call"]["number"] == "A-001"
        # Disconnected: the hall goes on calling, through several partitions.
        await produce(
            topic,
            events.called("B-001", "kk", 2),
            events.called("A-002", "ktp-el", 1),
            events.called("C-001", "akta", 3),
        )

        async def applied() -> bool:
            return len((await display.http.get("/api/v1/board")).json()["recent"]) == 4

        await tools.eventually(applied, "all four calls are applied")
        async with stream(display.url, tools, last_id=first.id) as sse:
            missed = [await next_data(sse) for _ in range(3)]
        assert [e.event for e in missed] == ["update"] * 3
        assert {e.data["call"]["number"] for e in missed} == {"B-001", "A-002", "C-001"}
        ids = [first.id] + [e.id for e in missed]
        assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))


async def test_a_resume_point_no_longer_kept_gets_a_fresh_snapshot(
    new_topic, display_settings, events, produce, tools
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq)) as display:
        await produce(topic, events.called("A-001", "ktp-el", 1))
        await call_applied(display, tools)
        async with stream(display.url, tools, last_id="1-0") as sse:
            event = await next_data(sse)
        assert event.event == "snapshot"
        assert event.data["recent"][0]["number"] == "A-001"


async def test_a_zone_board_receives_only_its_zone(
    new_topic, display_settings, events, produce, tools
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with (
        tools.running(display_settings(topic, dlq)) as display,
        stream(display.url, tools, zone="b") as sse,
    ):
        assert (await next_data(sse)).event == "snapshot"
        await produce(topic, events.called("A-001", "ktp-el", 1))  # zone a
        await produce(topic, events.called("D-001", "pkb-tahunan", 4))  # zone b
        update = await next_data(sse)
        assert update.data["call"]["number"] == "D-001"
        assert update.data["counter"]["id"] == "loket-4"


async def test_every_replica_pushes_every_call_whatever_partitions_it_owns(
    new_topic, display_settings, events, produce, tools
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    one, two = display_settings(topic, dlq), display_settings(topic, dlq)
    async with (
        tools.running(one) as first,
        tools.running(two) as second,
        stream(first.url, tools) as a,
        stream(second.url, tools) as b,
    ):
        await next_data(a), await next_data(b)
        calls = [events.called(f"A-{n:03d}", "ktp-el", 1) for n in range(1, 4)]
        calls += [events.called(f"B-{n:03d}", "kk", 2) for n in range(1, 4)]
        calls += [events.called(f"D-{n:03d}", "pkb-tahunan", 4) for n in range(1, 4)]
        await produce(topic, *calls)
        got_a = {(await next_data(a)).data["call"]["number"] for _ in calls}
        got_b = {(await next_data(b)).data["call"]["number"] for _ in calls}
    assert got_a == got_b and len(got_a) == 9


async def test_a_hundred_boards_connecting_at_once_all_get_the_board(
    new_topic, display_settings, events, produce, tools
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq)) as display:
        await produce(topic, events.called("A-001", "ktp-el", 1))
        await call_applied(display, tools)

        async def first_event() -> Any:
            async with stream(display.url, tools) as sse:
                return await next_data(sse)

        firsts = await asyncio.gather(*(first_event() for _ in range(100)))
    assert {e.event for e in firsts} == {"snapshot"}
    assert all(e.data["recent"][0]["number"] == "A-001" for e in firsts)


async def call_applied(display: Any, tools: Any) -> None:
    """Until the board's recent calls are not empty."""

    async def applied() -> bool:
        return bool((await display.http.get("/api/v1/board")).json()["recent"])

    await tools.eventually(applied, "the call is applied")
