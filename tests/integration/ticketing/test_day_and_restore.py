"""A new day and a restored Redis, through ticketing and the display on real Kafka and Redis:
the boards start the day empty, and events made after a restore are not dropped as copies."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
from antre_contracts import parse_event
from display.app import create_app as create_display
from display.config import Settings as DisplaySettings

from tests.support.kafka import read_topic
from tests.support.processes import free_port
from tests.support.redis import PrivateRedis
from tests.support.waiting import eventually


@contextlib.asynccontextmanager
async def board_of(
    tk: Any, catalog: Path, redis_url: str, dlq: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A display of the same site and catalog, consuming ticketing's topic."""
    port = free_port()
    settings = DisplaySettings(
        redis_url=redis_url, topic=tk.topic, dlq_topic=dlq, site_id=tk.site,
        group_id=f"display-{tk.site}", catalog_path=catalog, port=port,
    )  # fmt: skip
    server = uvicorn.Server(
        uvicorn.Config(create_display(settings), port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            yield http
    finally:
        server.should_exit = True
        await task


def waiting(snapshot: dict[str, Any], service: str) -> int:
    return int(next(s["waiting"] for s in snapshot["services"] if s["id"] == service))


async def test_the_board_starts_a_new_day_empty_and_yesterdays_tickets_expire_with_an_event(
    make_ticketing, tmp_path, redis_url, kafka_bootstrap, new_topic
) -> None:
    async with make_ticketing() as tk:
        await tk.http.post("/api/v1/counters/loket-1/open", headers=tk.auth())
        tickets = []
        for _ in range(3):
            r = await tk.http.post("/api/v1/tickets", json={"service_id": "ktp"})
            tickets.append(r.json()["ticket_id"])
        await tk.http.post("/api/v1/counters/loket-1/call-next", headers=tk.auth())
        await tk.http.post("/api/v1/counters/loket-1/finish", headers=tk.auth())
        async with board_of(
            tk, tmp_path / "catalog.toml", redis_url, await new_topic("dlq", 1)
        ) as display:

            async def yesterday() -> dict[str, Any] | None:
                snap = (await display.get("/api/v1/board")).json()
                return snap if snap["recent"] and waiting(snap, "ktp") == 2 else None

            snap = await eventually(yesterday, "the day's call and two waiting on the board")
            assert snap["recent"][0]["number"] == "A-001"

            tk.clock.at += timedelta(days=1)  # 10.00 WITA the next day
            await tk.app.state.runtime.store.open_day()

            async def today() -> dict[str, Any] | None:
                snap = (await display.get("/api/v1/board")).json()
                return snap if not snap["recent"] and waiting(snap, "ktp") == 0 else None

            snap = await eventually(today, "the board empty at the new day's opening")
            tile = next(c for c in snap["counters"] if c["id"] == "loket-1")
            assert tile["ticket"] is None and tile["state"] == "open"
        for ticket_id in tickets[1:]:
            assert (await tk.http.get(f"/api/v1/tickets/{ticket_id}")).json()["status"] == "expired"
        await tk.outbox_drained()
        events = await read_topic(kafka_bootstrap, tk.topic)
    expired = [e["data"]["ticket_id"] for e in events if e["type"] == "antre.ticket.expired"]
    assert sorted(expired) == sorted(tickets[1:])
    for e in events:  # everything the day's change emitted is a valid event of the contract
        parse_event(orjson.dumps({k: v for k, v in e.items() if not k.startswith("_")}))


async def test_events_made_after_a_redis_restore_reach_the_board_in_a_later_epoch(
    make_ticketing, tmp_path, redis_url, kafka_bootstrap, new_topic
) -> None:
    """A restore rolls ticketing's sequences back: its next events repeat numbers the display
    has applied. Recognised by the epoch (a new Redis process began it), they are applied."""
    store = PrivateRedis(tmp_path / "redis").start()
    try:
        async with make_ticketing(redis_url=store.url) as tk:
            async with board_of(
                tk, tmp_path / "catalog.toml", redis_url, await new_topic("dlq", 1)
            ) as display:
                issue = lambda: tk.http.post("/api/v1/tickets", json={"service_id": "ktp"})  # noqa: E731
                for _ in range(3):
                    assert (await issue()).status_code == 201
                await tk.outbox_drained()
                store.kill()  # a backup of this moment (3 tickets)
                store.copy_data(tmp_path / "backup")
                store.start()
                for _ in range(2):
                    await eventually(lambda: _ok(issue()), "a ticket after the restart")
                await tk.outbox_drained()

                async def shows(n: int) -> Any:
                    return waiting((await display.get("/api/v1/board")).json(), "ktp") == n

                await eventually(lambda: shows(5), "five waiting on the board")
                store.kill()
                store.restore(tmp_path / "backup")  # back to three tickets
                store.start()
                await eventually(lambda: _ok(issue()), "a ticket after the restore")
                await eventually(
                    lambda: shows(4), "the restored three and the new one on the board"
                )
            await tk.outbox_drained()
            events = await read_topic(kafka_bootstrap, tk.topic)
    finally:
        store.kill()
    issued = [e for e in events if e["type"] == "antre.ticket.issued"]
    assert len({e["epoch"] for e in issued}) == 3, "one epoch per Redis process"
    assert issued[-1]["epoch"] > issued[-2]["epoch"]


async def _ok(response: Any) -> bool:
    try:
        return bool((await response).status_code == 201)
    except httpx.HTTPError:
        return False
