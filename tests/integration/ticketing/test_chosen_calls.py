"""Panggil nomor… and Parkir on the real Redis and Kafka: a chosen call's fairness and its
event, parking and calling back from any counter of the service, exactly once under
concurrency, a chosen call against call-next at the same instant, expiry at the day's end.

Test catalog: ktp (A), kk (B), akta (C); loket-1 [ktp, kk], loket-2 [ktp, akta],
loket-3 [kk, ktp], loket-4 [kk, akta], loket-5 [akta, ktp], loket-6.. repeat. Priority streak 2.
"""

import asyncio
from datetime import timedelta

from tests.support.kafka import read_topic

KTP_COUNTERS = ["loket-1", "loket-2", "loket-3", "loket-5", "loket-6", "loket-7", "loket-8"]


async def issue(tk, service="ktp", priority="regular"):
    r = await tk.http.post("/api/v1/tickets", json={"service_id": service, "priority": priority})
    assert r.status_code == 201, r.text
    return r.json()


async def act(tk, counter, action, expect=200, token=None, **body):
    headers = tk.auth(token) if token else tk.auth()
    r = await tk.http.post(
        f"/api/v1/counters/{counter}/{action}", json=body or None, headers=headers
    )
    assert r.status_code == expect, r.text
    return r.json()


async def status_of(tk, ticket_id):
    return (await tk.http.get(f"/api/v1/tickets/{ticket_id}")).json()


async def test_a_chosen_call_is_flagged_out_of_order_and_leaves_the_streak(make_ticketing):
    async with make_ticketing() as tk:
        a1, a2, a3 = [await issue(tk) for _ in range(3)]
        p1 = await issue(tk, priority="lansia")
        p2 = await issue(tk, priority="lansia")
        await act(tk, "loket-1", "open")
        # Call-next would take the priority ticket: choosing A-003 skips it.
        chosen = await act(tk, "loket-1", "call-number", number=a3["number"], reason="mendesak")
        assert chosen["how"] == "number" and chosen["out_of_order"] is True
        assert chosen["ticket_id"] == a3["ticket_id"] and "keperluan mendesak" in chosen["detail"]
        await act(tk, "loket-1", "finish")
        # The streak is untouched: two priority calls, then a regular one, as before.
        order = []
        for _ in range(4):
            order.append((await act(tk, "loket-1", "call-next"))["ticket_id"])
            await act(tk, "loket-1", "finish")
        assert order == [p1["ticket_id"], p2["ticket_id"], a1["ticket_id"], a2["ticket_id"]]
        # Choosing the ticket call-next would take anyway is not out of order.
        a4 = await issue(tk)
        same = await act(tk, "loket-1", "call-number", number=a4["number"], reason="koreksi")
        assert same["out_of_order"] is False
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)
    calls = [e["data"] for e in events if e["type"] == "antre.ticket.called"]
    first = next(c for c in calls if c["ticket_id"] == a3["ticket_id"])
    assert (first["how"], first["out_of_order"], first["reason"]) == ("number", True, "mendesak")
    assert first["officer_id"] == "koordinator" and first["counter_id"] == "loket-1"
    assert {c["how"] for c in calls if c["ticket_id"] != a3["ticket_id"]} <= {"next", "number"}


async def test_refusals_of_a_chosen_call(make_ticketing):
    async with make_ticketing() as tk:
        b1 = await issue(tk, "kk")
        a1 = await issue(tk)
        await act(tk, "loket-2", "open")  # ktp and akta: not kk
        r = await act(tk, "loket-2", "call-number", 409, number=b1["number"], reason="lainnya")
        assert r["type"] == "/problems/number_not_here" and b1["number"] in r["detail"]
        r = await act(tk, "loket-2", "call-number", 404, number="A-099", reason="lainnya")
        assert r["type"] == "/problems/unknown_number"
        r = await act(tk, "loket-2", "call-number", 422, number="a-1; DROP", reason="lainnya")
        assert r["status"] == 422
        r = await act(tk, "loket-2", "call-number", 422, number="A-001", reason="bebas")
        assert r["status"] == 422
        await act(tk, "loket-2", "call-number", number=a1["number"], reason="koreksi")
        await act(tk, "loket-2", "finish")
        r = await act(tk, "loket-2", "call-number", 409, number=a1["number"], reason="koreksi")
        assert r["type"] == "/problems/not_waiting" and "selesai" in r["detail"]


async def test_a_parked_ticket_waits_apart_and_any_counter_of_its_service_calls_it_back(
    make_ticketing,
):
    async with make_ticketing() as tk:
        a1, a2 = await issue(tk), await issue(tk)
        for counter in ("loket-1", "loket-2", "loket-4"):
            await act(tk, counter, "open")
        await act(tk, "loket-1", "call-next")
        await act(tk, "loket-1", "start")
        parked = await act(tk, "loket-1", "park", reason="fotokopi")
        assert parked["number"] == a1["number"] and "fotokopi dokumen" in parked["detail"]
        assert (await status_of(tk, a1["ticket_id"]))["status"] == "parked"
        queue = (await tk.http.get("/api/v1/queues/ktp")).json()
        assert queue["waiting"] == 1  # a parked ticket keeps no place and is not waiting
        # Every counter of ktp sees it; loket-4 (kk, akta) does not.
        seen = (await tk.http.get("/api/v1/counters/loket-2/parked", headers=tk.auth())).json()
        assert [(t["number"], t["reason"], t["reason_label"]) for t in seen] == [
            (a1["number"], "fotokopi", "Fotokopi dokumen")
        ]
        assert (
            await tk.http.get("/api/v1/counters/loket-4/parked", headers=tk.auth())
        ).json() == []
        # Call-next never takes it: loket-2 gets A-002, then nothing is waiting.
        assert (await act(tk, "loket-2", "call-next"))["ticket_id"] == a2["ticket_id"]
        await act(tk, "loket-2", "finish")
        r = await act(tk, "loket-2", "call-next", 409)
        assert r["type"] == "/problems/nothing_waiting"
        back = await act(tk, "loket-2", "call-number", number=a1["number"], reason="kembali_parkir")
        assert back["how"] == "parked" and back["out_of_order"] is False
        assert (
            await tk.http.get("/api/v1/counters/loket-2/parked", headers=tk.auth())
        ).json() == []
        await act(tk, "loket-2", "finish")
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)
    mine = [e for e in events if e["subject"] == a1["ticket_id"]]
    assert [e["type"][6:] for e in mine] == [
        "ticket.issued", "ticket.called", "ticket.service_started", "ticket.parked",
        "ticket.called", "ticket.completed",
    ]  # fmt: skip
    park = mine[3]["data"]
    assert (park["reason"], park["counter_id"], park["park_count"], park["parked_count"]) == (
        "fotokopi", "loket-1", 1, 1,
    )  # fmt: skip
    again = mine[4]["data"]
    assert (again["how"], again["counter_id"], again["park_count"]) == ("parked", "loket-2", 1)


async def test_a_parked_ticket_is_called_back_exactly_once_by_fifty_concurrent_tries(
    make_ticketing,
):
    async with make_ticketing() as tk:
        ticket = await issue(tk)
        for counter in KTP_COUNTERS:
            await act(tk, counter, "open")
        await act(tk, "loket-1", "call-next")
        await act(tk, "loket-1", "park", reason="melengkapi_berkas")

        async def try_back(i: int):
            counter = KTP_COUNTERS[i % len(KTP_COUNTERS)]
            return counter, await tk.http.post(
                f"/api/v1/counters/{counter}/call-number",
                json={"number": ticket["number"], "reason": "kembali_parkir"},
                headers=tk.auth(),
            )

        answers = await asyncio.gather(*(try_back(i) for i in range(50)))
        won = [(c, r.json()) for c, r in answers if r.status_code == 200]
        assert len(won) == 1, [r.text for _, r in answers if r.status_code == 200]
        refused = {r.json()["type"] for _, r in answers if r.status_code != 200}
        # Others: it is no longer parked, or their own counter already holds it.
        assert refused <= {"/problems/not_waiting", "/problems/ticket_in_progress"}
        assert {r.status_code for _, r in answers} <= {200, 409}
        counter = won[0][0]
        at = (await tk.http.get(f"/api/v1/counters/{counter}", headers=tk.auth())).json()
        assert at["current_ticket"]["ticket_id"] == ticket["ticket_id"]
        for other in KTP_COUNTERS:
            if other != counter:
                state = (await tk.http.get(f"/api/v1/counters/{other}", headers=tk.auth())).json()
                assert state["current_ticket"] is None
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)
    backs = [
        e for e in events if e["type"] == "antre.ticket.called" and e["data"]["how"] == "parked"
    ]
    assert len(backs) == 1 and backs[0]["data"]["counter_id"] == counter


async def test_a_chosen_call_never_collides_with_call_next_at_the_same_instant(make_ticketing):
    """Fifty rounds: one ticket waits; loket-1 calls it by number while loket-2 calls next, at
    once. Exactly one of them gets it, never both."""
    async with make_ticketing() as tk:
        await act(tk, "loket-1", "open")
        await act(tk, "loket-2", "open")
        tickets, winners = [], {"loket-1": 0, "loket-2": 0}
        for _ in range(50):
            t = await issue(tk)
            tickets.append(t["ticket_id"])
            chosen, nxt = await asyncio.gather(
                tk.http.post(
                    "/api/v1/counters/loket-1/call-number",
                    json={"number": t["number"], "reason": "mendesak"},
                    headers=tk.auth(),
                ),
                tk.http.post("/api/v1/counters/loket-2/call-next", headers=tk.auth()),
            )
            got = [
                (c, r) for c, r in (("loket-1", chosen), ("loket-2", nxt)) if r.status_code == 200
            ]
            assert len(got) == 1, (chosen.text, nxt.text)
            counter, r = got[0]
            assert r.json()["ticket_id"] == t["ticket_id"]
            loser = chosen if counter == "loket-2" else nxt
            assert loser.status_code == 409
            assert loser.json()["type"] in ("/problems/not_waiting", "/problems/nothing_waiting")
            winners[counter] += 1
            await act(tk, counter, "finish")
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)
    calls = [e["data"]["ticket_id"] for e in events if e["type"] == "antre.ticket.called"]
    assert sorted(calls) == sorted(tickets)  # each called exactly once
    print("rounds won:", winners)  # the split is the race's; any split is right


async def test_a_no_show_who_comes_back_is_called_by_number(make_ticketing):
    async with make_ticketing() as tk:
        a1, a2 = await issue(tk), await issue(tk)
        await act(tk, "loket-1", "open")
        await act(tk, "loket-1", "call-next")
        await act(tk, "loket-1", "finish", outcome="no_show")
        back = await act(tk, "loket-1", "call-number", number=a1["number"], reason="terlambat")
        # A-002 waits: calling the late visitor first is out of order.
        assert (back["how"], back["out_of_order"]) == ("returned", True)
        await act(tk, "loket-1", "start")
        await act(tk, "loket-1", "finish")
        assert (await status_of(tk, a1["ticket_id"]))["status"] == "served"
        assert (await act(tk, "loket-1", "call-next"))["ticket_id"] == a2["ticket_id"]


async def test_parked_tickets_expire_when_the_day_ends(make_ticketing):
    async with make_ticketing() as tk:
        ticket = await issue(tk)
        await act(tk, "loket-1", "open")
        await act(tk, "loket-1", "call-next")
        await act(tk, "loket-1", "park", reason="menunggu_verifikasi")
        tk.clock.at += timedelta(days=1)
        await tk.app.state.runtime.store.open_day()
        assert (await status_of(tk, ticket["ticket_id"]))["status"] == "expired"
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)
    expired = [e["data"] for e in events if e["type"] == "antre.ticket.expired"]
    assert [e["ticket_id"] for e in expired] == [ticket["ticket_id"]]
