"""A visit across agencies on the real Redis and Kafka: one ticket, three agencies, kiosk to last
completion; its place by arrival at each step; officers adding and removing steps; the events
in each queue's order.

Test catalog with `multi_agency`: ktp at Dukcapil, kk at BPJS, akta at Samsat. Counters:
loket-2 serves [ktp, akta], loket-4 [kk, akta], loket-5 [akta, ktp].
"""

from tests.support.kafka import read_topic


async def issue(tk, service, then=(), expect=201):
    r = await tk.http.post("/api/v1/tickets", json={"service_id": service, "then": list(then)})
    assert r.status_code == expect, r.text
    return r.json()


async def act(tk, counter, action, expect=200, **body):
    r = await tk.http.post(
        f"/api/v1/counters/{counter}/{action}", json=body or None, headers=tk.auth()
    )
    assert r.status_code == expect, r.text
    return r.json()


async def test_a_three_agency_visit_from_kiosk_to_last_completion(make_ticketing):
    async with make_ticketing(multi_agency=True) as tk:
        visit = await issue(tk, "ktp", then=["kk", "akta"])
        assert visit["number"] == "A-001"
        assert [(s["service_id"], s["state"]) for s in visit["visit"]] == [
            ("ktp", "current"),
            ("kk", "next"),
            ("akta", "next"),
        ]
        walk_in = await issue(tk, "kk")  # B-001: at BPJS before A-001 gets there
        for counter in ("loket-2", "loket-4", "loket-5"):
            await act(tk, counter, "open")

        assert (await act(tk, "loket-2", "call-next"))["number"] == "A-001"
        done = await act(tk, "loket-2", "finish")
        assert done["next_service_id"] == "kk" and "berikutnya ke BPJS" in done["detail"]
        status = (await tk.http.get(f"/api/v1/tickets/{visit['ticket_id']}")).json()
        assert status["status"] == "waiting" and status["service_id"] == "kk"
        assert [s["state"] for s in status["visit"]] == ["done", "current", "next"]
        assert status["people_ahead"] == 0  # it arrived before B-001: ahead of it

        called = await act(tk, "loket-4", "call-next")
        assert called["number"] == "A-001" and called["service_id"] == "kk"
        assert (await act(tk, "loket-4", "finish"))["next_service_id"] == "akta"
        assert (await act(tk, "loket-5", "call-next"))["number"] == "A-001"
        last = await act(tk, "loket-5", "finish")
        assert last["next_service_id"] is None
        status = (await tk.http.get(f"/api/v1/tickets/{visit['ticket_id']}")).json()
        assert status["status"] == "served"
        assert (await act(tk, "loket-4", "call-next"))["number"] == walk_in["number"]
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)

    mine = [e for e in events if e["subject"] == visit["ticket_id"]]
    per_queue: dict[str, list[str]] = {}
    for e in sorted(mine, key=lambda e: (e["partitionkey"], e["epoch"], e["sequence"])):
        per_queue.setdefault(e["partitionkey"].split(":")[1], []).append(e["type"][6:])
    assert per_queue == {
        "ktp": ["ticket.issued", "ticket.called", "ticket.completed"],
        "kk": ["ticket.transferred", "ticket.called", "ticket.completed"],
        "akta": ["ticket.transferred", "ticket.called", "ticket.completed"],
    }
    issued = next(e for e in mine if e["type"] == "antre.ticket.issued")
    assert issued["data"]["visit"] == ["ktp", "kk", "akta"]
    # (Two queues, two partitions: the topic gives them in either order.)
    moves = sorted(
        (e["data"] for e in mine if e["type"] == "antre.ticket.transferred"),
        key=lambda m: m["step"],
    )
    assert [(m["reason"], m["from_service_id"], m["service_id"], m["step"]) for m in moves] == [
        ("visit", "ktp", "kk", 2),
        ("visit", "kk", "akta", 3),
    ]
    # Every queue's events, all tickets', are numbered without a gap.
    by_key: dict[tuple[str, int], list[int]] = {}
    for e in events:
        by_key.setdefault((e["partitionkey"], e["epoch"]), []).append(e["sequence"])
    for seqs in by_key.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))


async def test_an_officer_adds_and_removes_steps_and_the_rules_hold(make_ticketing):
    async with make_ticketing(multi_agency=True) as tk:
        refused = await issue(tk, "ktp", then=["kk", "ktp"], expect=422)
        assert refused["type"] == "/problems/same_agency_in_visit"
        refused = await issue(tk, "ktp", then=["kk", "akta", "kk", "akta"], expect=422)
        assert refused["type"] == "/problems/visit_full"
        ticket = await issue(tk, "ktp")
        assert ticket["visit"] == []
        await act(tk, "loket-2", "open")
        await act(tk, "loket-2", "call-next")
        added = await act(tk, "loket-2", "visit/add", service_id="akta")
        assert added["visit"] == ["ktp", "akta"]
        added = await act(tk, "loket-2", "visit/add", service_id="kk")
        assert added["visit"] == ["ktp", "akta", "kk"]
        same = await act(tk, "loket-2", "visit/add", expect=422, service_id="kk")
        assert same["type"] == "/problems/same_agency_in_visit"
        removed = await act(tk, "loket-2", "visit/remove", service_id="akta")
        assert removed["visit"] == ["ktp", "kk"]
        gone = await act(tk, "loket-2", "visit/remove", expect=409, service_id="akta")
        assert gone["type"] == "/problems/not_in_visit"
        assert (await act(tk, "loket-2", "finish"))["next_service_id"] == "kk"

        # A no-show ends the visit: nothing more is waited for.
        other = await issue(tk, "ktp", then=["kk"])
        await act(tk, "loket-2", "call-next")
        done = await act(tk, "loket-2", "finish", outcome="no_show")
        assert done["next_service_id"] is None
        status = (await tk.http.get(f"/api/v1/tickets/{other['ticket_id']}")).json()
        assert status["status"] == "no_show"
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)
    steps = [
        (e["type"], e["data"]["step_service_id"])
        for e in sorted(events, key=lambda e: e["sequence"])
        if e["type"].startswith("antre.visit.")
    ]
    assert steps == [
        ("antre.visit.step_added", "akta"),
        ("antre.visit.step_added", "kk"),
        ("antre.visit.step_removed", "akta"),
    ]
