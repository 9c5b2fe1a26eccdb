"""Many counters pressing call-next at once: each ticket called once, in queue order."""

import asyncio
import random
from collections import defaultdict

from tests.support.kafka import read_topic

from .conftest import COUNTERS, SERVICES


def expected_order(issued: list[tuple[str, str]], streak: int = 2) -> list[str]:
    """The ordering rule replayed for one service (no ageing in a fast test)."""
    pri = [n for n, p in issued if p != "regular"]
    reg = [n for n, p in issued if p == "regular"]
    out, s = [], 0
    while pri or reg:
        if pri and (not reg or s < streak):
            out.append(pri.pop(0))
            s += 1
        else:
            out.append(reg.pop(0))
            s = 0
    return out


async def test_fifty_concurrent_call_next_never_call_a_ticket_twice_or_out_of_order(
    make_ticketing, kafka_bootstrap
):
    async with make_ticketing() as tk:
        rng = random.Random(7)
        issued: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for _ in range(200):
            sid = rng.choice(SERVICES)[0]
            prio = rng.choice(["regular"] * 4 + ["lansia", "ibu_hamil"])
            r = await tk.http.post("/api/v1/tickets", json={"service_id": sid, "priority": prio})
            assert r.status_code == 201, r.text
            issued[sid].append((r.json()["number"], prio))
        for i in range(1, len(COUNTERS) + 1):
            r = await tk.http.post(f"/api/v1/counters/loket-{i}/open", headers=tk.auth())
            assert r.status_code == 200, r.text

        calls: list[str] = []
        in_flight = 0
        peak = 0

        async def officer(counter: str) -> None:
            nonlocal in_flight, peak
            while True:
                in_flight += 1
                peak = max(peak, in_flight)
                r = await tk.http.post(f"/api/v1/counters/{counter}/call-next", headers=tk.auth())
                in_flight -= 1
                if r.status_code == 200:
                    calls.append(r.json()["ticket_id"])
                    continue
                code = r.json()["type"].rsplit("/", 1)[-1]
                if code == "nothing_waiting":
                    return
                assert code == "ticket_in_progress", r.text
                f = await tk.http.post(f"/api/v1/counters/{counter}/finish", headers=tk.auth())
                assert f.status_code in (200, 409), f.text

        # 50 officers' requests in flight at once: five per counter.
        await asyncio.gather(*(officer(f"loket-{1 + i % 10}") for i in range(50)))
        assert peak >= 40, f"only {peak} requests were ever in flight together"

        assert len(calls) == len(set(calls)) == 200, "a ticket was called twice or skipped"
        await tk.outbox_drained()
        events = await read_topic(kafka_bootstrap, tk.topic)
        status = {}
        for ticket_id in calls:
            r = await tk.http.get(f"/api/v1/tickets/{ticket_id}")
            status[ticket_id] = r.json()["status"]

    # The last event of each ticket tells the same story as Redis.
    last: dict[str, str] = {}
    for e in sorted(events, key=lambda e: (e["_partition"], e["_offset"])):
        if e["type"] == "antre.ticket.called":
            last[e["data"]["ticket_id"]] = "called"
        elif e["type"] == "antre.ticket.completed":
            last[e["data"]["ticket_id"]] = e["data"]["outcome"]
    assert last == status

    called = [e for e in events if e["type"] == "antre.ticket.called"]
    assert sorted(e["data"]["ticket_id"] for e in called) == sorted(calls)
    by_queue: dict[str, list[dict]] = defaultdict(list)
    for e in events:
        by_queue[e["partitionkey"]].append(e)
    for key, evs in by_queue.items():
        assert [e["sequence"] for e in evs] == list(range(1, len(evs) + 1)), key
        assert len({e["_partition"] for e in evs}) == 1, f"{key} spread over partitions"
    for sid, tickets in issued.items():
        order = [
            e["data"]["number"]
            for e in by_queue[f"{tk.site}:{sid}"]
            if e["type"] == "antre.ticket.called"
        ]
        assert order == expected_order(tickets), f"{sid} called out of order"
