"""Online booking on the real Redis and Kafka: capacity under concurrency, the check-in window,
the calling order of booked, priority and walk-in tickets, and the events in queue order.

The test site opens Monday and Tuesday 08.00-15.00 WITA; ktp is bookable in 30-minute slots
(14 a day). The clock starts on Monday 2026-11-30 10.00 WITA, so Tuesday can be booked until
Monday 16.00.
"""

import asyncio
from datetime import UTC, datetime, timedelta

from tests.integration.ticketing.conftest import KIOSK
from tests.support.kafka import read_topic

TUESDAY = "2026-12-01"
NO_LIMITS = {"public_rate_per_address": "100000/minute", "public_rate_site": "100000/minute"}


def wita(day: int, hour: int, minute: int = 0) -> datetime:
    """A time on 2026-11-<day> or 2026-12-01 (day=1) in WITA (UTC+8), as UTC."""
    month = 12 if day == 1 else 11
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


async def book(tk, slot="09.00", day=TUESDAY, phone=None, expect=201):
    body = {"service_id": "ktp", "day": day, "slot": slot}
    if phone:
        body["phone"] = phone
    r = await tk.http.post("/api/v1/bookings", json=body)
    assert r.status_code == expect, r.text
    return r.json()


async def check_in(tk, code, expect=201):
    r = await tk.http.post(
        f"/api/v1/bookings/{code}/check-in", headers={"Authorization": f"Bearer {KIOSK}"}
    )
    assert r.status_code == expect, r.text
    return r.json()


async def walk_in(tk, priority="regular"):
    r = await tk.http.post("/api/v1/tickets", json={"service_id": "ktp", "priority": priority})
    assert r.status_code == 201, r.text
    return r.json()


async def free_places(tk, slot, day=TUESDAY):
    r = await tk.http.get("/api/v1/booking/slots", params={"service_id": "ktp", "day": day})
    assert r.status_code == 200, r.text
    return {s["slot"]: s["free"] for s in r.json()["slots"]}[slot]


async def test_the_last_place_of_a_slot_goes_to_one_of_50_at_once(make_ticketing):
    # 42 a day over 14 slots: 3 places a slot (8 counters could serve 40 in 30 minutes).
    async with make_ticketing(at=wita(30, 10), booking_quota=42, **NO_LIMITS) as tk:
        r = await tk.http.get("/api/v1/booking/slots", params={"service_id": "ktp", "day": TUESDAY})
        slots = r.json()["slots"]
        assert len(slots) == 14 and {s["capacity"] for s in slots} == {3}
        await book(tk, "14.30")
        await book(tk, "14.30")
        answers = await asyncio.gather(
            *(
                tk.http.post(
                    "/api/v1/bookings", json={"service_id": "ktp", "day": TUESDAY, "slot": "14.30"}
                )
                for _ in range(50)
            )
        )
        codes = sorted(a.status_code for a in answers)
        assert codes == [201] + [409] * 49, codes
        refused = {a.json()["type"] for a in answers if a.status_code == 409}
        assert refused == {"/problems/slot_full"}
        assert await free_places(tk, "14.30") == 0
        booked = await tk.redis.hget(f"{tk.prefix}:bks:{TUESDAY}:ktp", "14.30")
        assert int(booked) == 3
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)
        created = [e for e in events if e["type"] == "antre.booking.created"]
        assert len(created) == 3
        assert {e["data"]["slot_start"] for e in created} == {"2026-12-01T06:30:00.000Z"}


async def test_a_phone_holds_one_booking_a_service_and_day_and_cancel_frees_the_place(
    make_ticketing,
):
    async with make_ticketing(at=wita(30, 10), booking_quota=14, **NO_LIMITS) as tk:
        first = await book(tk, "09.00", phone="0812 3456 7890")
        again = await book(tk, "10.00", phone="081234567890", expect=409)
        assert again["type"] == "/problems/booking_exists"
        assert await free_places(tk, "09.00") == 0  # 1 place a slot
        r = await tk.http.delete(f"/api/v1/bookings/{first['code']}")
        assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
        assert await free_places(tk, "09.00") == 1
        second = await book(tk, "10.00", phone="0812-3456-7890")
        target = {"day": TUESDAY, "slot": "09.00"}
        moved = await tk.http.post(f"/api/v1/bookings/{second['code'].lower()}/move", json=target)
        assert moved.status_code == 200 and moved.json()["slot"] == "09.00", moved.text
        assert await free_places(tk, "10.00") == 1 and await free_places(tk, "09.00") == 0
        assert (await tk.http.get(f"/api/v1/bookings/{first['code']}")).json()["status"] == (
            "cancelled"
        )
        unknown = await tk.http.get("/api/v1/bookings/AAAA-AAAA")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        # Booking closes at 16.00 the day before; the same day is never bookable.
        tk.clock.at = wita(30, 16, 1)
        late = await book(tk, "11.00", expect=409)
        assert late["type"] == "/problems/booking_day_closed"
        options = (await tk.http.get("/api/v1/booking/options")).json()
        assert TUESDAY not in options["days"]


async def test_check_in_opens_30_minutes_before_and_closes_15_after_the_slot(make_ticketing):
    async with make_ticketing(at=wita(30, 10), booking_quota=42, **NO_LIMITS) as tk:
        on_time = await book(tk, "09.00")
        late = await book(tk, "09.30")
        never = await book(tk, "10.00")
        public = await tk.http.post(f"/api/v1/bookings/{on_time['code']}/check-in")
        assert public.status_code == 401  # only a kiosk checks in
        today = await check_in(tk, on_time["code"], expect=409)
        assert today["type"] == "/problems/booking_not_today"

        tk.clock.at = wita(1, 8, 29)
        early = await check_in(tk, on_time["code"], expect=409)
        assert early["type"] == "/problems/too_early" and "08.30" in early["detail"]
        tk.clock.at = wita(1, 8, 30)
        done = await check_in(tk, on_time["code"])
        assert not done["late"] and done["booking"]["status"] == "checked_in"
        ticket = done["ticket"]
        assert ticket["number"] == "A-001" and ticket["status"] == "waiting"
        assert 1790 <= ticket["estimated_wait_s"] <= 1810  # called from 09.00
        repeat = await check_in(tk, on_time["code"])
        assert repeat["ticket"]["ticket_id"] == ticket["ticket_id"]
        assert (await tk.http.delete(f"/api/v1/bookings/{on_time['code']}")).status_code == 409

        tk.clock.at = wita(1, 9, 46)  # 09.30's window closed at 09.45
        walked = await check_in(tk, late["code"])
        assert walked["late"] and walked["booking"]["status"] == "expired"
        assert walked["ticket"]["number"] == "A-002"
        walked_key = f"{tk.prefix}:t:{walked['ticket']['ticket_id']}"
        assert await tk.redis.hget(walked_key, "channel") == b"kiosk"

        tk.clock.at = wita(1, 10, 16)
        store = tk.app.state.runtime.store
        assert await store.expire_bookings() == (1, False)
        assert await store.expire_bookings() == (0, False)  # safe to repeat
        gone = await tk.http.get(f"/api/v1/bookings/{never['code']}")
        assert gone.json()["status"] == "expired"
        # Expiry frees nothing: the 10.00 slot still counts its booking.
        booked = await tk.redis.hget(f"{tk.prefix}:bks:{TUESDAY}:ktp", "10.00")
        assert int(booked) == 1
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)
        types = [e["type"] for e in events if e["type"].startswith("antre.booking.")]
        assert sorted(types) == sorted(
            ["antre.booking.created"] * 3
            + ["antre.booking.checked_in", "antre.booking.expired", "antre.booking.expired"]
        )


async def test_booked_tickets_due_go_first_then_priority_by_its_streak_then_regular(
    make_ticketing,
):
    async with make_ticketing(at=wita(30, 10), booking_quota=42, **NO_LIMITS) as tk:
        b1, b2, b3 = await book(tk, "09.00"), await book(tk, "09.00"), await book(tk, "09.30")
        tk.clock.at = wita(1, 8, 35)
        booked = [(await check_in(tk, b["code"]))["ticket"]["number"] for b in (b1, b2)]
        assert booked == ["A-001", "A-002"]
        walk = [
            (await walk_in(tk, p))["number"]
            for p in ("regular", "regular", "regular", "lansia", "lansia", "lansia")
        ]
        assert walk == ["A-003", "A-004", "A-005", "A-006", "A-007", "A-008"]
        await tk.http.post("/api/v1/counters/loket-1/open", headers=tk.auth())

        async def call() -> str:
            r = await tk.http.post("/api/v1/counters/loket-1/call-next", headers=tk.auth())
            assert r.status_code == 200, r.text
            await tk.http.post("/api/v1/counters/loket-1/finish", headers=tk.auth())
            return str(r.json()["number"])

        tk.clock.at = wita(1, 8, 40)  # the booked slot has not begun: walk-ins by the rules
        assert [await call() for _ in range(3)] == ["A-006", "A-007", "A-003"]
        tk.clock.at = wita(1, 9, 0)  # 09.00: the booked go first; the streak goes on after
        assert (await check_in(tk, b3["code"]))["ticket"]["number"] == "A-009"  # for 09.30
        order = [await call() for _ in range(6)]
        # A-009's slot has not begun: it waits behind the walk-ins, and is called early
        # rather than leave the counter idle.
        assert order == ["A-001", "A-002", "A-008", "A-004", "A-005", "A-009"]


async def test_a_walk_ins_estimate_counts_the_bookings_due_ahead_of_it(make_ticketing):
    async with make_ticketing(at=wita(30, 10), booking_quota=42, **NO_LIMITS) as tk:
        expected = [await book(tk, "08.30") for _ in range(2)]
        checked = await book(tk, "08.30")
        await book(tk, "14.30")  # due long after: not ahead
        tk.clock.at = wita(1, 8, 20)
        await check_in(tk, checked["code"])
        tk.clock.at = wita(1, 8, 35)  # 1 booked ticket due, 2 bookings still in their window
        walk = await walk_in(tk)
        assert walk["people_ahead"] == 3, walk
        status = (await tk.http.get(f"/api/v1/tickets/{walk['ticket_id']}")).json()
        assert status["people_ahead"] == 3
        tk.clock.at = wita(1, 8, 46)  # their window has closed: no longer expected
        assert await tk.app.state.runtime.store.expire_bookings() == (len(expected), False)
        status = (await tk.http.get(f"/api/v1/tickets/{walk['ticket_id']}")).json()
        assert status["people_ahead"] == 1


async def test_booking_events_follow_the_queue_sequence(make_ticketing):
    async with make_ticketing(at=wita(30, 10), booking_quota=42, **NO_LIMITS) as tk:
        kept = await book(tk, "09.00", phone="0812 3456 7890")
        dropped = await book(tk, "09.30")
        await tk.http.post(
            f"/api/v1/bookings/{kept['code']}/move", json={"day": TUESDAY, "slot": "10.00"}
        )
        await tk.http.delete(f"/api/v1/bookings/{dropped['code']}")
        tk.clock.at = wita(1, 9, 40)
        await check_in(tk, kept["code"])
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)
    ktp = [e for e in events if e["partitionkey"] == f"{tk.site}:ktp"]
    assert all(e["_key"] == f"{tk.site}:ktp" for e in ktp)
    by_epoch: dict[int, list[int]] = {}
    for e in ktp:
        by_epoch.setdefault(e["epoch"], []).append(e["sequence"])
    for seqs in by_epoch.values():
        assert seqs == list(range(1, len(seqs) + 1))  # one partition: in order, no gap
    types = [e["type"] for e in ktp if not e["type"].endswith("epoch_started")]
    assert types == [
        "antre.booking.created",
        "antre.booking.created",
        "antre.booking.moved",
        "antre.booking.cancelled",
        "antre.booking.checked_in",
        "antre.ticket.issued",
    ]
    moved = next(e for e in ktp if e["type"] == "antre.booking.moved")
    assert moved["data"]["from_slot_start"] == "2026-12-01T01:00:00.000Z"
    assert moved["data"]["slot_start"] == "2026-12-01T02:00:00.000Z"
    assert moved["data"]["phone_encrypted"]
    issued = ktp[-1]["data"]
    assert issued["channel"] == "booking" and issued["phone_encrypted"]


async def test_a_reminder_is_due_the_day_before_for_bookings_still_standing(make_ticketing):
    async with make_ticketing(at=wita(30, 10), booking_quota=42, **NO_LIMITS) as tk:
        kept = await book(tk, "09.00", phone="0812 3456 7890")
        gone = await book(tk, "09.30", phone="0813 1111 2222")
        silent = await book(tk, "10.00")  # no phone: nothing to remind
        await tk.http.delete(f"/api/v1/bookings/{gone['code']}")
        store = tk.app.state.runtime.store
        tk.clock.at = wita(30, 15, 59)
        await store.expire_bookings()
        tk.clock.at = wita(30, 16, 0)  # booking for Tuesday closes: reminders are due
        await store.expire_bookings()
        await store.expire_bookings()  # nothing twice
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)
    reminders = [e for e in events if e["type"] == "antre.booking.reminder_due"]
    assert [e["subject"] for e in reminders] == [kept["code"].replace("-", "")]
    assert reminders[0]["data"]["phone_encrypted"] and silent["status"] == "booked"


async def test_a_booked_ticket_due_goes_first_at_a_counter_whose_first_service_is_another(
    make_ticketing,
):
    async with make_ticketing(at=wita(30, 10), booking_quota=42, **NO_LIMITS) as tk:
        due, early = await book(tk, "08.30"), await book(tk, "09.00")
        tk.clock.at = wita(1, 8, 40)
        for b in (due, early):
            await check_in(tk, b["code"])  # A-001 for 08.30, A-002 for 09.00
        r = await tk.http.post("/api/v1/tickets", json={"service_id": "kk"})
        assert r.json()["number"] == "B-001"
        await tk.http.post("/api/v1/counters/loket-3/open", headers=tk.auth())  # [kk, ktp]

        async def call() -> str:
            r = await tk.http.post("/api/v1/counters/loket-3/call-next", headers=tk.auth())
            assert r.status_code == 200, r.text
            await tk.http.post("/api/v1/counters/loket-3/finish", headers=tk.auth())
            return str(r.json()["number"])

        tk.clock.at = wita(1, 8, 45)
        # 08.30 is due: before the counter's own first service; the 09.00 booking waits for
        # the walk-in of kk, then goes early rather than leave the counter idle.
        assert [await call() for _ in range(3)] == ["A-001", "B-001", "A-002"]
