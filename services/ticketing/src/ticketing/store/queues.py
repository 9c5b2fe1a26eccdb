"""The queue store: every change is one call of a Redis function in queue.lua (state + outbox)."""

import asyncio
import itertools
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast

import orjson
import redis.asyncio as aioredis
from antre_contracts import Catalog
from antre_contracts.catalog import Counter
from antre_contracts.redis_pool import call_then_wait
from antre_contracts.supervise import Health
from redis.exceptions import ResponseError

from ticketing import metrics
from ticketing.domain.clock import Clock, service_day
from ticketing.domain.slots import Slot, closes_for

LIBRARY = (Path(__file__).parent / "queue.lua").read_text()
READ_ONLY = frozenset(
    {
        "antre_position",
        "antre_overview",
        "antre_queue",
        "antre_booking",
        "antre_booked_slots",
        "antre_parked",
        "antre_figures",
    }
)
"""The functions registered `no-writes`: nothing to wait for replicas for."""

log = logging.getLogger(__name__)


class QueueError(Exception):
    """A refused operation: `code` names the rule (see api/problems.py), `info` the details."""

    def __init__(self, code: str, info: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.info = info


@dataclass(frozen=True)
class Call:
    """When an operation runs: its op id, time and the site's day."""

    op: str
    at: datetime
    day: str


class QueueStore:
    """Ticketing's own Redis keys, all under `{site}:tk` so one hash slot holds a site (on a
    Redis Cluster: one master, whichever node a call reaches first).

    `wait_replicas`: after each change, WAIT up to `wait_ms` until that many replicas have it
    (TICKETING_REDIS_WAIT_REPLICAS; 0: answer at once)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        catalog: Catalog,
        site: str,
        clock: Clock,
        wait_replicas: int = 0,
        wait_ms: int = 100,
    ) -> None:
        self.redis = redis
        self.wait_replicas = wait_replicas
        self.wait_ms = wait_ms
        self.catalog = catalog
        self.site = site
        self.clock = clock
        self.prefix = f"{{{site}}}:tk"
        self.outbox = f"{self.prefix}:outbox"
        self.source = f"/antre/{site}/ticketing"
        self._op_prefix = secrets.token_hex(8) + "-"
        self._op_counter = itertools.count(1)
        rules = catalog.rules
        self.rules = {
            "streak": rules.priority_streak,
            "ageing_ms": rules.ageing_minutes * 60_000,
            "grace_ms": catalog.booking.checkin_grace_minutes * 60_000,
        }
        self.default_s = {s.id: s.avg_service_minutes * 60 for s in catalog.services}

    async def load(self) -> None:
        """Install (or replace) the function library; safe on every start. On a cluster
        redis-py sends FUNCTION LOAD to every master (replicas get it by replication), so the
        site's slot finds it wherever it moves."""
        await self.redis.function_load(LIBRARY, replace=True)

    async def keep_loaded(self, health: Health) -> None:
        """Load the library once Redis answers, then idle (a supervised loop). A Redis that
        lost it later (a new, empty one) gets it again from `_fcall`."""
        await self.load()
        health.ok()
        await asyncio.Event().wait()

    async def keep_days_open(self, health: Health, every_s: float = 30.0) -> None:
        """Begin each new day for every queue and counter soon after local midnight (at the
        latest `every_s` later), and at start-up (a supervised loop)."""
        while True:
            await self.open_day()
            health.ok()
            now = self.clock.now().astimezone(self.catalog.site.tz)
            tomorrow = datetime.combine(now.date() + timedelta(days=1), time(), now.tzinfo)
            await asyncio.sleep(min(every_s, (tomorrow - now).total_seconds() + 0.2))

    async def outbox_state(self) -> tuple[int, int | None]:
        """Events in the outbox, and the time (ms) of the oldest."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.outbox)
            pipe.xrange(self.outbox, count=1)
            backlog, first = await pipe.execute()
        return int(backlog), (int(first[0][0].split(b"-")[0]) if first else None)

    def call(self, op: str | None = None) -> Call:
        at = self.clock.now()
        return Call(op or self._next_op(), at, service_day(at, self.catalog.site.tz).isoformat())

    def _next_op(self) -> str:
        # A random prefix per process and a counter: unique, and cheaper than a uuid4 a call.
        return f"{self._op_prefix}{next(self._op_counter):x}"

    async def _fcall(self, fn: str, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        now_ms = int(call.at.timestamp() * 1000)
        iso = call.at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        argv = (call.op, str(now_ms), iso, call.day, orjson.dumps(args))
        try:
            raw = await self._send(fn, argv)
        except ResponseError as exc:
            if "function not found" not in str(exc).lower():
                raise
            await self.load()  # a Redis that lost its data: the same op again, now it exists
            raw = await self._send(fn, argv)
        answer: dict[str, Any] = orjson.loads(raw)
        if "err" in answer:
            raise QueueError(answer.pop("err"), answer)
        ok: dict[str, Any] = answer["ok"]
        ok["replay"] = answer.get("replay", False)
        return ok

    async def _send(self, fn: str, argv: tuple[Any, ...]) -> Any:
        """FCALL with KEYS[1] = the prefix (a cluster client routes it by that key's slot); a
        change then waits for `wait_replicas` replicas, when asked to."""
        if not self.wait_replicas or fn in READ_ONLY:
            return await self.redis.fcall(fn, 1, self.prefix, *argv)
        command = ("FCALL", fn, 1, self.prefix, *argv)
        raw, acked = await call_then_wait(
            self.redis, self.prefix, self.wait_replicas, self.wait_ms, *command
        )
        if acked < self.wait_replicas:
            metrics.UNREPLICATED.inc()
            log.warning("%s answered with %d of %d replicas after %d ms",
                        fn, acked, self.wait_replicas, self.wait_ms)  # fmt: skip
        return raw

    async def issue(
        self,
        call: Call,
        service_id: str,
        priority: str,
        channel: str,
        public: bool,
        phone_encrypted: str | None,
        fingerprint: str | None,
        then: list[str] | None = None,
    ) -> dict[str, Any]:
        """Issue a ticket; `public`: through the public channel (its share of the quota);
        `then`: the further services of a visit across agencies, in order."""
        service = self.catalog.service_by_id[service_id]
        return await self._fcall(
            "antre_issue",
            call,
            {
                "service": service_id,
                "agency": service.agency,
                "prefix": service.prefix,
                "prio": priority,
                "channel": channel,
                "phone": phone_encrypted,
                "public": public,
                # The status link is the ticket id: 96 random bits make it unguessable.
                "rand": secrets.token_hex(12),
                # Walk-ins' share: the booking quota is kept for booked tickets.
                "quota": None
                if service.daily_quota is None
                else service.daily_quota - service.booking_quota,
                "public_quota": self.catalog.public_quota(service),
                "default_s": self.default_s[service_id],
                "rules": self.rules,
                "source": self.source,
                "site": self.site,
                "fingerprint": fingerprint,
                "visit": [service_id, *then] if then else None,
            },
        )

    def _counter_args(self, counter: Counter, officer: str) -> dict[str, Any]:
        return {
            "counter": counter.id,
            "counter_number": counter.number,
            "officer": officer,
            "services": counter.services,
            "rules": self.rules,
            "source": self.source,
            "site": self.site,
            "window": self.catalog.rules.service_time_window,
        }

    async def call_next(
        self, call: Call, counter: Counter, officer: str, only: str | None = None
    ) -> dict[str, Any]:
        args = self._counter_args(counter, officer)
        if only is not None:
            args["services"] = [only]
        return await self._fcall("antre_call_next", call, args)

    async def call_number(
        self, call: Call, counter: Counter, officer: str, number: str, reason: str
    ) -> dict[str, Any]:
        """Call a chosen ticket by its number: waiting, parked, or a no-show of the day."""
        args = self._counter_args(counter, officer)
        args.update(number=number, reason=reason)
        return await self._fcall("antre_call_number", call, args)

    async def parked(self, services: list[str]) -> list[dict[str, Any]]:
        """The parked tickets of these services, oldest first (up to 100 each)."""
        raw = await self._fcall("antre_parked", self.call(), {"services": services})
        return list(raw["tickets"] or [])  # Lua's {} is an empty list

    async def figures(self, day: date, officer: str | None = None) -> list[dict[str, Any]]:
        """Each officer's counts of a day (all officers with any, or one), with the service
        times of their served tickets (`service_times`, seconds)."""
        args = {"day": day.isoformat(), "officer": officer}
        raw = await self._fcall("antre_figures", self.call(), args)
        return [
            {**f, "service_times": [int(x) for x in (f.get("service_times") or [])]}
            for f in (raw["officers"] or [])
        ]

    async def act(
        self, fn: str, call: Call, counter: Counter, officer: str, **extra: Any
    ) -> dict[str, Any]:
        """recall, start, complete (outcome=) or transfer (to=, default_s=)."""
        return await self._fcall(fn, call, {**self._counter_args(counter, officer), **extra})

    async def set_state(
        self, call: Call, counter: Counter, officer: str, state: str, reason: str | None
    ) -> dict[str, Any]:
        args = self._counter_args(counter, officer)
        args.update(state=state, reason=reason)
        return await self._fcall("antre_set_state", call, args)

    async def open_day(self) -> dict[str, Any]:
        """Begin the site's current day (its epoch) for every queue and counter that has not:
        boards and waiting counts start the day from what waits now; yesterday's waiting
        tickets expire, each with an event. Safe to repeat."""
        args = {
            "site": self.site,
            "source": self.source,
            "services": [s.id for s in self.catalog.services],
            "counters": [
                {"id": c.id, "number": c.number, "services": c.services}
                for c in self.catalog.counters
            ],
        }
        return await self._fcall("antre_open_day", self.call(), args)

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        args = {"ticket": ticket_id, "rules": self.rules, "default_s": self.default_s}
        return await self._fcall("antre_position", self.call(), args)

    async def overview(self) -> dict[str, dict[str, Any]]:
        args = {"services": list(self.default_s), "default_s": self.default_s}
        by_service = await self._fcall("antre_overview", self.call(), args)
        del by_service["replay"]  # _fcall's flag, not a service
        return by_service

    async def queue(self, service_id: str, n: int = 50) -> dict[str, Any]:
        args = {"service": service_id, "rules": self.rules, "n": n}
        return await self._fcall("antre_queue", self.call(), args)

    async def counter(self, counter_id: str) -> dict[str, str]:
        raw = cast(dict[bytes, bytes], await self.redis.hgetall(f"{self.prefix}:c:{counter_id}"))
        return {k.decode(): v.decode() for k, v in raw.items()}

    async def counter_states(self) -> dict[str, tuple[str, bool]]:
        """Every catalog counter: (state, whether a ticket is at it), in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for counter in self.catalog.counters:
            pipe.hmget(f"{self.prefix}:c:{counter.id}", "state", "ticket")
        replies = cast(list[list[bytes | None]], await pipe.execute())
        return {
            counter.id: ((state or b"closed").decode(), bool(ticket))
            for counter, (state, ticket) in zip(self.catalog.counters, replies, strict=True)
        }

    # Online bookings (queue.lua's booking functions; the slot rules are domain/slots.py)

    async def book(
        self,
        call: Call,
        service_id: str,
        slot: Slot,
        code: str,
        phone_encrypted: str | None,
        phone_key: str | None,
        fingerprint: str | None,
    ) -> dict[str, Any]:
        """Book `slot`; refused when the slot or the day is full or the phone already holds
        a booking of the service that day (`code_taken`: draw another code)."""
        service = self.catalog.service_by_id[service_id]
        args = {
            **self._slot_args(service_id, slot),
            "code": code,
            "agency": service.agency,
            "phone": phone_encrypted,
            "phone_key": phone_key,
            "fingerprint": fingerprint,
        }
        return await self._fcall("antre_book", call, args)

    async def move_booking(
        self, call: Call, code: str, service_id: str, slot: Slot
    ) -> dict[str, Any]:
        args = {**self._slot_args(service_id, slot), "code": code}
        return await self._fcall("antre_booking_move", call, args)

    async def cancel_booking(self, call: Call, code: str) -> dict[str, Any]:
        return await self._fcall(
            "antre_booking_cancel", call, {"code": code, "site": self.site, "source": self.source}
        )

    async def check_in(self, call: Call, code: str, service_id: str) -> dict[str, Any]:
        """A booked ticket within the check-in window (`late`: the window has passed);
        `service_id`: the booking's (its caller has just read it)."""
        service = self.catalog.service_by_id[service_id]
        args = {
            "code": code,
            "early_ms": self.catalog.booking.checkin_early_minutes * 60_000,
            "prefix": service.prefix,
            "rand": secrets.token_hex(12),
            "rules": self.rules,
            "default_s": self.default_s[service.id],
            "site": self.site,
            "source": self.source,
        }
        return await self._fcall("antre_check_in", call, args)

    async def booking(self, code: str) -> dict[str, Any]:
        return await self._fcall("antre_booking", self.call(), {"code": code})

    async def booked(self, service_id: str, day: date) -> dict[str, int]:
        """Booked places per slot label of a service's day, and 'day': the day's total."""
        raw = await self._fcall(
            "antre_booked_slots", self.call(), {"service": service_id, "day": day.isoformat()}
        )
        return {k: int(v) for k, v in raw.items() if k not in ("_", "replay")}

    async def expire_bookings(self, limit: int = 200) -> tuple[int, bool]:
        """Expire bookings whose check-in window has ended: how many, and whether more are
        due."""
        args = {"site": self.site, "source": self.source, "limit": limit}
        raw = await self._fcall("antre_expire_bookings", self.call(), args)
        return int(raw["expired"]), int(raw["seen"]) >= limit

    async def keep_expiring_bookings(self, health: Health, every_s: float = 15.0) -> None:
        """The expiry sweep (a supervised loop); every replica may run it."""
        while True:
            more = True
            while more:
                expired, more = await self.expire_bookings()
                metrics.BOOKINGS_EXPIRED.inc(expired)
            health.ok()
            await asyncio.sleep(every_s)

    def _slot_args(self, service_id: str, slot: Slot) -> dict[str, Any]:
        service = self.catalog.service_by_id[service_id]
        return {
            "service": service_id,
            "day": slot.start.date().isoformat(),
            "slot": slot.label,
            "start": _ms(slot.start),
            "start_iso": _iso(slot.start),
            "end_iso": _iso(slot.end),
            "ends": _ms(slot.checkin_closes(self.catalog)),
            "remind": _ms(closes_for(self.catalog, slot.start.date())),
            "capacity": slot.capacity,
            "day_quota": service.booking_quota,
            "site": self.site,
            "source": self.source,
        }


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
