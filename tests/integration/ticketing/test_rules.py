"""Queue rules on the real Redis: fairness, ageing, day rollover, quota, idempotency."""

from datetime import UTC, datetime, timedelta

from tests.support.kafka import read_topic


async def issue(tk, service="ktp", priority="regular", **headers):
    r = await tk.http.post(
        "/api/v1/tickets", json={"service_id": service, "priority": priority}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json()


async def call(tk, counter="loket-1"):
    r = await tk.http.post(f"/api/v1/counters/{counter}/call-next", headers=tk.auth())
    assert r.status_code == 200, r.text
    await tk.http.post(f"/api/v1/counters/{counter}/finish", headers=tk.auth())
    return r.json()["number"]


async def test_two_priority_calls_then_one_regular(make_ticketing):
    async with make_ticketing() as tk:
        for prio in ["regular", "regular", "lansia", "disabilitas", "ibu_hamil", "lansia"]:
            await issue(tk, priority=prio)
        await tk.http.post("/api/v1/counters/loket-1/open", headers=tk.auth())
        order = [await call(tk) for _ in range(6)]
    assert order == ["A-003", "A-004", "A-001", "A-005", "A-006", "A-002"]


async def test_a_regular_ticket_waiting_past_the_ageing_limit_goes_first(make_ticketing):
    async with make_ticketing() as tk:
        await issue(tk)  # A-001, regular
        tk.clock.at += timedelta(minutes=29)
        await issue(tk, priority="lansia")
        await issue(tk, priority="lansia")
        await tk.http.post("/api/v1/counters/loket-1/open", headers=tk.auth())
        assert await call(tk) == "A-002"  # A-001 has waited 29 minutes: not aged yet
        tk.clock.at += timedelta(minutes=1)
        assert await call(tk) == "A-001"  # 30 minutes: aged, before the priority A-003
        assert await call(tk) == "A-003"


async def test_numbering_restarts_at_local_midnight_and_yesterdays_tickets_expire(make_ticketing):
    before_midnight = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)  # 23.59 WITA
    async with make_ticketing(at=before_midnight) as tk:
        first = await issue(tk)
        assert (await issue(tk))["number"] == "A-002"
        tk.clock.at += timedelta(minutes=2)  # 00.01 WITA, the next day
        assert (await issue(tk))["number"] == "A-001"
        r = await tk.http.get(f"/api/v1/tickets/{first['ticket_id']}")
        assert r.json()["status"] == "expired"
        await tk.http.post("/api/v1/counters/loket-1/open", headers=tk.auth())
        r = await tk.http.post("/api/v1/counters/loket-1/call-next", headers=tk.auth())
        assert r.json()["ticket_id"] != first["ticket_id"]
        r = await tk.http.post("/api/v1/counters/loket-1/call-next", headers=tk.auth())
        assert r.status_code == 409  # only today's ticket was callable (it is now in progress)


async def test_daily_quota_refuses_with_a_clear_message(make_ticketing):
    async with make_ticketing(quota=2) as tk:
        await issue(tk)
        await issue(tk)
        r = await tk.http.post("/api/v1/tickets", json={"service_id": "ktp"})
        assert r.status_code == 409
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "/problems/quota_exhausted"
        assert "Kuota hari ini habis" in r.json()["detail"]
        catalog = (await tk.http.get("/api/v1/catalog")).json()
        ktp = next(s for s in catalog["services"] if s["id"] == "ktp")
        assert ktp["availability"] == "quota_exhausted" and ktp["quota_left"] == 0


async def test_last_ticket_time_and_opening_hours_are_enforced(make_ticketing):
    at = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)  # Monday 12.30 WITA
    async with make_ticketing(at=at, last_ticket="12:00:00", enforce_hours=True) as tk:
        r = await tk.http.post("/api/v1/tickets", json={"service_id": "ktp"})
        assert r.json()["type"] == "/problems/last_ticket_passed", r.text
        assert "12.00 WITA" in r.json()["detail"]
        assert (await tk.http.post("/api/v1/tickets", json={"service_id": "kk"})).status_code == 201
        tk.clock.at = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # Sunday: closed
        r = await tk.http.post("/api/v1/tickets", json={"service_id": "kk"})
        assert r.json()["type"] == "/problems/closed", r.text


async def test_idempotency_key_replay_returns_the_same_ticket_and_one_event(
    make_ticketing, kafka_bootstrap
):
    async with make_ticketing() as tk:
        first = await issue(tk, **{"Idempotency-Key": "kiosk-3-0001"})
        again = await issue(tk, **{"Idempotency-Key": "kiosk-3-0001"})
        other = await issue(tk, **{"Idempotency-Key": "kiosk-3-0002"})
        assert again["ticket_id"] == first["ticket_id"] and again["number"] == "A-001"
        assert other["number"] == "A-002"
        r = await tk.http.post(
            "/api/v1/tickets",
            json={"service_id": "kk"},
            headers={"Idempotency-Key": "kiosk-3-0001"},
        )
        assert r.status_code == 422 and r.json()["type"] == "/problems/idempotency_conflict"
        await tk.outbox_drained()
        events = await read_topic(kafka_bootstrap, tk.topic)
    issued = [e["data"]["ticket_id"] for e in events if e["type"] == "antre.ticket.issued"]
    assert sorted(issued) == sorted([first["ticket_id"], other["ticket_id"]])


async def test_estimate_uses_open_counters_and_real_service_times(make_ticketing):
    async with make_ticketing() as tk:
        await tk.http.post("/api/v1/counters/loket-1/open", headers=tk.auth())
        await issue(tk)
        await tk.http.post("/api/v1/counters/loket-1/call-next", headers=tk.auth())
        await tk.http.post("/api/v1/counters/loket-1/start", headers=tk.auth())
        tk.clock.at += timedelta(seconds=120)
        await tk.http.post("/api/v1/counters/loket-1/finish", headers=tk.auth())
        await tk.http.post("/api/v1/counters/loket-2/open", headers=tk.auth())  # ktp, akta
        for _ in range(4):
            last = await issue(tk)
        # 3 ahead, 2 open counters for ktp, mean service time 120 s
        assert last["people_ahead"] == 3
        assert last["estimated_wait_s"] == 180
