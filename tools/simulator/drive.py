"""Play a planned day against ticketing's HTTP API: visitors at the kiosk, officers at counters.

Simulated time runs `speed` times faster than real time. The tally counts only what ticketing
accepted, so a test can compare it with the metrics the services export.
"""

import asyncio
import random
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from antre_contracts.catalog import WEEKDAYS, Catalog
from antre_contracts.catalog import Counter as Loket

from tools.simulator.day import SERVICE_MIX, Arrival, DayPlan, service_time_s
from tools.simulator.survey import Surveys


@dataclass
class Tally:
    issued: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(service, priority, channel) → tickets."""
    with_phone: int = 0
    phones: list[str] = field(default_factory=list)
    """The numbers of the tickets issued with one, in order."""
    calls: Counter[str] = field(default_factory=Counter)
    recalls: Counter[str] = field(default_factory=Counter)
    completed: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(service, outcome) → tickets."""
    transfers: Counter[str] = field(default_factory=Counter)
    """From service → tickets."""
    parked: Counter[str] = field(default_factory=Counter)
    """Service → tickets parked (Parkir)."""
    chosen: Counter[str] = field(default_factory=Counter)
    """How (parked, returned) → tickets called back by number."""
    away: int = 0
    """No-shows who will come back (still to be served: `outstanding` counts them)."""
    turned_away: Counter[str] = field(default_factory=Counter)
    """Service → visitors refused a ticket because its daily quota was used up (they leave)."""
    errors: Counter[str] = field(default_factory=Counter)
    """'action status problem' → refusals nobody expected."""
    retried: Counter[str] = field(default_factory=Counter)
    """'503' / 'unreachable' → requests sent again (like a kiosk) while a part was down."""
    bare_5xx: list[str] = field(default_factory=list)
    """5xx answers that were not RFC 9457 problem JSON (a kiosk could not show them)."""
    accepted: list[tuple[str, str]] = field(default_factory=list)
    """(action, ticket id) of every change ticketing accepted, in order: each one's event
    must reach Kafka (the fault run checks it)."""
    phone_of: dict[str, str] = field(default_factory=dict)
    """Ticket id → the phone number it was taken with."""
    bookings: Counter[str] = field(default_factory=Counter)
    """booked, refused (slot or day full: the visitor walks in), checked_in, late (past the
    window: a walk-in's ticket)."""
    waits: dict[str, list[float]] = field(
        default_factory=lambda: {"booked": [], "walk_in": [], "walk_in_bookable": []}
    )
    """Simulated seconds from arrival to the first call, by kind of visitor (walk_in_bookable:
    walk-ins of the services that can be booked, a subset of walk_in); a booked visitor's from
    their slot's start when they came earlier (they chose to)."""

    def outstanding(self) -> int:
        # A returned no-show is completed twice (no-show, then served): counted back in.
        returned = self.chosen["returned"]
        return sum(self.issued.values()) - sum(self.completed.values()) + self.away + returned

    def summary(self) -> dict[str, Any]:
        return {
            "issued": sum(self.issued.values()),
            "with_phone": self.with_phone,
            "calls": sum(self.calls.values()),
            "recalls": sum(self.recalls.values()),
            "served": sum(n for (_, o), n in self.completed.items() if o == "served"),
            "no_show": sum(n for (_, o), n in self.completed.items() if o == "no_show"),
            "transfers": sum(self.transfers.values()),
            "parked": sum(self.parked.values()),
            "chosen": sum(self.chosen.values()),
            "turned_away": sum(self.turned_away.values()),
            "errors": dict(self.errors),
            "retried": dict(self.retried),
            "bare_5xx": len(self.bare_5xx),
            "bookings": dict(self.bookings),
        }


class SimClock:
    """Simulated seconds since opening, `speed` times faster than the loop's clock; it starts
    `lead_s` before opening (bookings are made the day before)."""

    def __init__(self, speed: float, lead_s: float = 0.0) -> None:
        self.speed = speed
        self.lead_s = lead_s
        self.t0 = asyncio.get_running_loop().time()

    def now_s(self) -> float:
        return (asyncio.get_running_loop().time() - self.t0) * self.speed - self.lead_s

    async def until(self, at_s: float) -> None:
        await asyncio.sleep(max(0.0, (at_s - self.now_s()) / self.speed))

    async def wait(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


@dataclass
class Day:
    api: httpx.AsyncClient
    catalog: Catalog
    plan: DayPlan
    clock: SimClock
    token: str | None = None
    """One token for every counter (e.g. demo-koordinator); default: each counter's own."""
    kiosk_token: str = "demo-kiosk-01"
    """The hall kiosk's device token; web visitors come through the public channel."""
    tally: Tally = field(default_factory=Tally)
    patience_s: float = 120.0
    """How long a request is tried again while ticketing is down or answers 503."""
    transferred: set[str] = field(default_factory=set)
    issuing_done: asyncio.Event = field(default_factory=asyncio.Event)
    surveys: Surveys | None = None
    """Served visitors who answer the satisfaction survey (None: nobody does)."""
    booking_day: date | None = None
    """The day played, for visitors who booked it the day before (ticketing's clock must
    follow the simulator's: bench/day/run.py starts it so)."""
    arrived: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Ticket id → (booked or walk_in, simulated second its wait began) until its first call."""
    back: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Service → (number, reason) of visitors back at the counters: parked ones from their
    errand (kembali_parkir), no-shows who came late (terlambat). Officers call them by number
    before calling next."""
    came_back: set[str] = field(default_factory=set)
    """Tickets already parked or returned once (they are not parked again)."""
    _returning: set["asyncio.Task[None]"] = field(default_factory=set)

    async def run(self) -> Tally:
        """Until every visitor of the day has been served or marked no-show."""
        counters = [asyncio.create_task(self.officer(c)) for c in self.catalog.counters]
        await self.visitors()
        await asyncio.gather(*counters)
        if self.surveys is not None:
            await self.surveys.drain()
        return self.tally

    async def visitors(self) -> None:
        comings = await self.book_ahead()
        pending: set[asyncio.Task[None]] = set()
        for at_s, arrival, booking in comings:
            await self.clock.until(at_s)
            job = self.check_in(arrival, *booking) if booking else self.issue(arrival)
            task = asyncio.create_task(job)
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        self.issuing_done.set()

    async def book_ahead(self) -> list[tuple[float, Arrival, tuple[str, float] | None]]:
        """The day before: each visitor who books takes the slot their visit falls in (a walk-in
        when it is full) and will come 5-25 minutes before it. Who comes when, in order."""
        rng = random.Random(self.plan.options.seed + 11)
        comings: list[tuple[float, Arrival, tuple[str, float] | None]] = []
        for a in self.plan.arrivals:
            service = self.catalog.service_by_id[a.service_id]
            if not a.booked or self.booking_day is None or not service.slot_minutes:
                comings.append((a.at_s, a, None))
                continue
            length = service.slot_minutes * 60
            slot_s = (a.at_s // length) * length
            opens = self.opens_s()
            label = f"{int((opens + slot_s) // 3600):02d}.{int((opens + slot_s) % 3600 // 60):02d}"
            body = {"service_id": a.service_id, "day": self.booking_day.isoformat(), "slot": label}
            r = await self.request("POST", "/api/v1/bookings", body,
                                   {"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
            if r.status_code == 201:
                self.tally.bookings["booked"] += 1
                comings.append((slot_s - rng.uniform(300, 1500), a, (r.json()["code"], slot_s)))
            elif r.status_code == 409 or _problem(r) == "unknown_slot":
                # Full, or no slot that late: they come as walk-ins.
                self.tally.bookings["refused"] += 1
                comings.append((a.at_s, a, None))
            else:
                self._refused("book", r)
                comings.append((a.at_s, a, None))
        comings.sort(key=lambda c: c[0])
        return comings

    def opens_s(self) -> float:
        """The site's opening on the day played, in seconds after midnight."""
        hours = (
            self.catalog.site.hours.get(WEEKDAYS[self.booking_day.weekday()])
            if self.booking_day
            else None
        )
        return hours.open.hour * 3600 + hours.open.minute * 60 if hours else 8 * 3600

    async def check_in(self, a: Arrival, code: str, slot_s: float) -> None:
        """A visitor with a booking checks in at the kiosk (a walk-in's ticket when late)."""
        headers = {"Idempotency-Key": uuid.uuid4().hex,
                   "Authorization": f"Bearer {self.kiosk_token}"}  # fmt: skip
        r = await self.request("POST", f"/api/v1/bookings/{code}/check-in", None, headers)
        if r.status_code != 201:
            self._refused("check-in", r)
            return
        answer = r.json()
        ticket_id = answer["ticket"]["ticket_id"]
        late = answer["late"]
        self.tally.bookings["late" if late else "checked_in"] += 1
        self.tally.issued[(a.service_id, "regular", "kiosk" if late else "booking")] += 1
        self.tally.accepted.append(("issue", ticket_id))
        now = self.clock.now_s()
        self.arrived[ticket_id] = ("walk_in", now) if late else ("booked", max(now, slot_s))

    async def request(
        self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """Send like the kiosk and the console do: the same request again (same
        Idempotency-Key) after a 429 or 503's Retry-After, or while ticketing cannot be
        reached (killed and restarting), for up to `patience_s` of real time."""
        deadline = asyncio.get_running_loop().time() + self.patience_s
        while True:
            try:
                r = await self.api.request(method, url, json=body, headers=headers)
            except httpx.TransportError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                self.tally.retried["unreachable"] += 1
                await asyncio.sleep(0.5)
                continue
            if r.status_code >= 500 and "problem+json" not in r.headers.get("content-type", ""):
                self.tally.bare_5xx.append(f"{method} {url} {r.status_code} {r.text[:80]}")
            if r.status_code not in (429, 503) or asyncio.get_running_loop().time() > deadline:
                return r
            self.tally.retried[str(r.status_code)] += 1
            await asyncio.sleep(min(5.0, float(r.headers.get("Retry-After", "1"))))

    async def issue(self, a: Arrival) -> None:
        """A visitor takes a ticket (retrying like a kiosk when refused for now)."""
        body: dict[str, Any] = {"service_id": a.service_id, "priority": a.priority}
        body["channel"] = a.channel
        if a.phone:
            body["phone"] = a.phone
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        if a.channel == "kiosk":
            headers["Authorization"] = f"Bearer {self.kiosk_token}"
        r = await self.request("POST", "/api/v1/tickets", body, headers)
        if r.status_code == 409 and r.json().get("type", "").endswith("/public_quota_exhausted"):
            # The web share is gone: the visitor comes to the hall and takes one at a kiosk.
            body["channel"] = "kiosk"
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            headers["Authorization"] = f"Bearer {self.kiosk_token}"
            r = await self.request("POST", "/api/v1/tickets", body, headers)
        if r.status_code == 409 and r.json().get("type", "").endswith("/quota_exhausted"):
            self.tally.turned_away[a.service_id] += 1  # a full day: the visitor goes home
        elif r.status_code == 201:
            ticket_id = r.json()["ticket_id"]
            self.arrived[ticket_id] = ("walk_in", self.clock.now_s())
            self.tally.issued[(a.service_id, a.priority, body["channel"])] += 1
            self.tally.accepted.append(("issue", ticket_id))
            self.tally.with_phone += a.phone is not None
            if a.phone:
                self.tally.phones.append(a.phone)
                self.tally.phone_of[ticket_id] = a.phone
        else:
            self._refused("issue", r)

    async def officer(self, counter: Loket) -> None:
        """One officer: open, call, serve, break, and close once everyone has been served."""
        rng = random.Random(self.plan.options.seed * 1000 + counter.number)
        token = self.token or f"demo-loket-{counter.number:02d}"
        act = _Actions(self, counter.id, token)
        breaks = list(self.plan.breaks.get(counter.id, []))
        await self.clock.until(self.plan.open_at_s[counter.id])
        await act("open")
        if (
            (await self.request("GET", f"/api/v1/counters/{counter.id}", headers=act.headers))
            .json()
            .get("current_ticket")
        ):
            await act("finish", {"outcome": "served"})  # left over from an interrupted run
        while True:
            if breaks and self.clock.now_s() >= breaks[0].at_s:
                b = breaks.pop(0)
                await act("break", {"reason": b.reason})
                await self.clock.until(b.at_s + b.duration_s)
                await act("open")
                continue
            called = await self.call_back(act, counter)
            if called is None:
                called = await act("call-next", expect=(409,))
            if called is None:
                if self.issuing_done.is_set() and self.tally.outstanding() <= 0:
                    break
                await self.clock.wait(20)
                continue
            await self.serve(act, rng, called)
        await act("close")

    async def call_back(self, act: "_Actions", counter: Loket) -> dict[str, Any] | None:
        """A visitor back at the counters (from parking, or late after a no-show), called by
        number; None when nobody of this counter's services is back."""
        for service in counter.services:
            if self.back.get(service):
                number, reason = self.back[service].pop(0)
                called = await act("call-number", {"number": number, "reason": reason})
                if reason == "terlambat":
                    self.tally.away -= 1
                if called is None:  # refused (in the errors): it must not hold the day open
                    if reason == "kembali_parkir":
                        self.tally.completed[(service, "lost")] += 1
                    continue
                self.tally.chosen[called["how"]] += 1
                return called
        return None

    def returns(self, service: str, number: str, reason: str, after_s: float) -> None:
        """The visitor comes back after `after_s` simulated seconds."""

        async def later() -> None:
            await self.clock.wait(after_s)
            self.back.setdefault(service, []).append((number, reason))

        task = asyncio.create_task(later())
        self._returning.add(task)
        task.add_done_callback(self._returning.discard)

    async def serve(self, act: "_Actions", rng: random.Random, called: dict[str, Any]) -> None:
        service, ticket = called["service_id"], called["ticket_id"]
        if called.get("how") not in ("parked", "returned"):  # first calls from the queue
            self.tally.calls[service] += 1
        if ticket in self.arrived:  # its first call: how long it waited
            kind, since = self.arrived.pop(ticket)
            waited = max(0.0, self.clock.now_s() - since)
            self.tally.waits[kind].append(waited)
            svc = self.catalog.service_by_id[service]
            if kind == "walk_in" and svc.slot_minutes and svc.booking_quota:
                self.tally.waits["walk_in_bookable"].append(waited)
        opts = self.plan.options
        if rng.random() < opts.no_show:
            await self.clock.wait(90)
            if await act("recall"):
                self.tally.recalls[service] += 1
            await self.clock.wait(120)
            if await act("finish", {"outcome": "no_show"}):
                self.tally.completed[(service, "no_show")] += 1
                if ticket not in self.came_back and rng.random() < opts.late_return:
                    self.came_back.add(ticket)
                    self.tally.away += 1
                    self.returns(service, called["number"], "terlambat", rng.uniform(600, 2400))
            return
        await self.clock.wait(rng.uniform(20, 60))  # the visitor walks to the counter
        await act("start")
        if ticket not in self.came_back and rng.random() < opts.park:
            await self.clock.wait(rng.uniform(60, 180))  # the officer finds a missing copy
            reason = rng.choice(("fotokopi", "fotokopi", "melengkapi_berkas"))
            if await act("park", {"reason": reason}):
                self.came_back.add(ticket)
                self.tally.parked[service] += 1
                self.returns(service, called["number"], "kembali_parkir", rng.uniform(300, 1200))
                return
        mean = self.catalog.service_by_id[service].avg_service_minutes
        await self.clock.wait(service_time_s(rng, mean, opts.service_time_cv))
        if ticket not in self.transferred and rng.random() < opts.transfer:
            others = [s for s in SERVICE_MIX if s != service and s in self.catalog.service_by_id]
            target = rng.choices(others, [SERVICE_MIX[s] for s in others])[0]
            self.transferred.add(ticket)
            if await act("transfer", {"service_id": target}):
                self.tally.transfers[service] += 1
            return
        if await act("finish", {"outcome": "served"}):
            self.tally.completed[(service, "served")] += 1
            if self.surveys is not None:
                self.surveys.served(ticket)

    def _refused(self, action: str, r: httpx.Response) -> None:
        try:
            problem = r.json().get("type", "") if r.content else ""
        except ValueError:  # not JSON at all
            problem = "not-json"
        self.tally.errors[f"{action} {r.status_code} {problem}"] += 1
        print(f"simulator: {action} refused: {r.status_code} {r.text[:200]}", file=sys.stderr)


def _problem(r: httpx.Response) -> str:
    try:
        return str(r.json().get("type", "")).rsplit("/", 1)[-1]
    except ValueError:
        return ""


class _Actions:
    """POST /api/v1/counters/<id>/<action> as the counter's officer."""

    def __init__(self, day: Day, counter_id: str, token: str) -> None:
        self.day, self.counter_id = day, counter_id
        self.headers = {"Authorization": f"Bearer {token}"}

    async def __call__(
        self, action: str, body: dict[str, Any] | None = None, expect: tuple[int, ...] = ()
    ) -> dict[str, Any] | None:
        url = f"/api/v1/counters/{self.counter_id}/{action}"
        headers = {**self.headers, "Idempotency-Key": uuid.uuid4().hex}
        r = await self.day.request("POST", url, body, headers)
        if r.status_code == 200:
            result: dict[str, Any] = r.json()
            if result.get("ticket_id"):
                self.day.tally.accepted.append((action, result["ticket_id"]))
            return result
        if r.status_code not in expect:
            self.day._refused(action, r)
        return None
