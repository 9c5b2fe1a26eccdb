"""Parkir and Panggil nomor through a SIGKILL of ticketing's Redis: four officers call, park
and call back by number while Redis is killed and started again. While it is away they get
503 problems and send the same request again (same Idempotency-Key, as the console does);
nothing acknowledged is lost or done twice: every acknowledged park and call-back has exactly
one event (by id: the relay may deliver one again after a kill), every parked ticket ends
served, and the officers' figures equal the events.
"""

import asyncio
import uuid
from typing import Any

import httpx

from tests.support.figures import from_events
from tests.support.kafka import read_topic
from tests.support.redis import PrivateRedis

COUNTERS = ["loket-1", "loket-2", "loket-3", "loket-5"]  # each serves ktp


async def test_parking_and_calls_by_number_survive_a_redis_sigkill(make_ticketing, tmp_path):
    store = PrivateRedis(tmp_path / "redis").start()
    acked: list[tuple[str, str, dict[str, Any]]] = []
    outage = {"503": 0}
    try:
        async with make_ticketing(redis_url=store.url) as tk:

            async def send(counter: str, action: str, body: dict[str, Any] | None = None):
                """Until ticketing answers other than 503, with one Idempotency-Key."""
                headers = {**tk.auth(), "Idempotency-Key": uuid.uuid4().hex}
                url = f"/api/v1/counters/{counter}/{action}"
                for _ in range(400):
                    try:
                        r = await tk.http.post(url, json=body, headers=headers)
                    except httpx.HTTPError:
                        await asyncio.sleep(0.05)
                        continue
                    if r.status_code != 503:
                        if r.status_code == 200:
                            acked.append((counter, action, r.json()))
                        return r
                    assert r.headers["content-type"] == "application/problem+json"
                    outage["503"] += 1
                    await asyncio.sleep(0.05)
                raise AssertionError(f"{action} at {counter}: still 503")

            tickets = []
            for _ in range(300):
                r = await tk.http.post("/api/v1/tickets", json={"service_id": "ktp"})
                tickets.append(r.json())
            for counter in COUNTERS:
                await send(counter, "open")
            parked: list[str] = []
            over = asyncio.Event()

            async def officer(counter: str, i: int) -> None:
                round_ = 0
                while not over.is_set():
                    round_ += 1
                    if parked and round_ % 2:
                        number = parked.pop(0)
                        r = await send(counter, "call-number",
                                       {"number": number, "reason": "kembali_parkir"})  # fmt: skip
                    else:
                        r = await send(counter, "call-next")
                    if r.status_code != 200:
                        continue
                    called = r.json()
                    if called.get("how") == "next" and (round_ + i) % 3 == 0:
                        await send(counter, "park", {"reason": "fotokopi"})
                        parked.append(called["number"])
                    else:
                        await send(counter, "finish")

            async def faults() -> None:
                for _ in range(2):
                    await asyncio.sleep(0.3)
                    store.kill()
                    await asyncio.sleep(0.5)
                    await asyncio.to_thread(store.start)
                await asyncio.sleep(0.3)
                over.set()

            await asyncio.gather(faults(), *(officer(c, i) for i, c in enumerate(COUNTERS)))
            # Whoever is still parked is called back and served now.
            while parked:
                number = parked.pop(0)
                await send("loket-1", "call-number", {"number": number, "reason": "kembali_parkir"})
                await send("loket-1", "finish")
            await tk.outbox_drained()
            coordinator = (await tk.http.get("/api/v1/figures/officers", headers=tk.auth())).json()
            events = await read_topic("127.0.0.1:9092", tk.topic)
    finally:
        store.kill()

    assert outage["503"] > 0, "no request met the outage: nothing was tested"
    # The relay delivers at least once: an event sent before a kill but not yet deleted from
    # the outbox is sent again (consumers skip it by its sequence). Same id, same event.
    unique: dict[str, dict[str, Any]] = {}
    for e in events:
        same = {k: v for k, v in e.items() if k != "_offset"}
        first = unique.setdefault(e["id"], e)
        assert {k: v for k, v in first.items() if k != "_offset"} == same, "one id, two events"
    events = list(unique.values())
    parks = [a for a in acked if a[1] == "park"]
    backs = [a for a in acked if a[1] == "call-number"]
    assert parks and backs
    parked_events = [e["data"] for e in events if e["type"] == "antre.ticket.parked"]
    back_events = [
        e["data"]
        for e in events
        if e["type"] == "antre.ticket.called" and e["data"]["how"] != "next"
    ]
    assert sorted(p["ticket_id"] for _, _, p in parks) == sorted(
        e["ticket_id"] for e in parked_events
    )
    assert sorted(b["ticket_id"] for _, _, b in backs) == sorted(
        e["ticket_id"] for e in back_events
    )
    # Every parked ticket was served in the end, once.
    served = [e["data"]["ticket_id"] for e in events if e["type"] == "antre.ticket.completed"]
    assert len(served) == len(set(served))
    assert {e["ticket_id"] for e in parked_events} <= set(served)
    rows = {r["officer_id"]: {k: v for k, v in r.items() if k != "officer_name"}
            for r in coordinator["officers"]}  # fmt: skip
    assert rows == from_events(events, coordinator["day"])
