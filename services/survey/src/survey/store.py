"""The survey's Redis state; each change is one Lua script beside this file.

Keys (hash tag = site, so one site's keys share a slot; no other service reads them):
`{site}:sv:t:<ticket>` (may it answer, on which service, and its answer once given),
`:c:<counter>` (what the counter's tablet offers now), `:pop:<day>` (served tickets per
`agency/service`: the population), `:agg:<day>` (answers per `agency/service/element/score`,
`agency/service/n` respondents, `agency/service/<respondent field>/<value>`), `:days` (the days
with data), `:outbox` (answers on their way to Kafka) and `:outbox:lease` (its one relay).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import redis.asyncio as aioredis

_HERE = Path(__file__).parent


def prefix(site: str) -> str:
    return f"{{{site}}}:sv:"


@dataclass(frozen=True)
class Served:
    """A served ticket, from ticket.completed (outcome served)."""

    ticket_id: str
    number: str
    service_id: str
    agency_id: str
    counter_id: str
    day: str
    completed_ms: int
    tablet_token: str


@dataclass(frozen=True)
class Open:
    """A ticket that may answer now (or has answered: `answer` set)."""

    ticket_id: str
    number: str
    service_id: str
    agency_id: str
    counter_id: str
    day: str
    until_ms: int
    answer: bytes | None


@dataclass(frozen=True)
class Submitted:
    verdict: str
    """ok, answered (a repeat: the first answer's reply), unknown, expired, changed, tablet."""
    reply: bytes


class SurveyStore:
    """All Redis access of the survey service for one site."""

    def __init__(self, redis: aioredis.Redis, site: str) -> None:
        self.redis = redis
        self.site = site
        self.prefix = prefix(site)
        self.outbox = self.prefix + "outbox"
        self._served = redis.register_script((_HERE / "served.lua").read_text())
        self._submit = redis.register_script((_HERE / "submit.lua").read_text())

    async def served(self, rows: Iterable[Served], window_ms: int, tablet_ms: int,
                     now_ms: int) -> list[bool]:  # fmt: skip
        """Record served tickets in one round trip; True for each one new here."""
        pipe = self.redis.pipeline(transaction=False)
        for r in rows:
            args: list[Any] = [r.ticket_id, r.number, r.service_id, r.agency_id, r.counter_id,
                               r.day, r.completed_ms, now_ms, window_ms, tablet_ms,
                               r.tablet_token]  # fmt: skip
            await self._served(keys=[self.prefix], args=args, client=pipe)
        return [bool(x) for x in await pipe.execute()]

    async def ticket(self, ticket_id: str) -> Open | None:
        h = cast(dict[bytes, bytes], await self.redis.hgetall(self.prefix + "t:" + ticket_id))
        if b"service" not in h and b"answer" not in h:
            return None
        return Open(
            ticket_id,
            h.get(b"number", b"").decode(),
            h.get(b"service", b"").decode(),
            h.get(b"agency", b"").decode(),
            h.get(b"counter", b"").decode(),
            h.get(b"day", b"").decode(),
            int(h.get(b"until", b"0")),
            h.get(b"answer"),
        )

    async def tablet(self, counter_id: str) -> dict[str, str]:
        """What the counter's tablet offers: ticket, number, service, token; {} for nothing."""
        h = cast(dict[bytes, bytes], await self.redis.hgetall(self.prefix + "c:" + counter_id))
        return {k.decode(): v.decode() for k, v in h.items()}

    async def submit(self, ticket: Open, now_ms: int, reply: bytes, event: bytes,
                     key: str, tablet_token: str, fields: list[str]) -> Submitted:  # fmt: skip
        args: list[Any] = [ticket.ticket_id, ticket.service_id, now_ms, reply, event, key,
                           ticket.counter_id, tablet_token, *fields]  # fmt: skip
        verdict, answer = await self._submit(keys=[self.prefix], args=args)
        return Submitted(verdict.decode(), answer)

    async def days(self, first: str, last: str) -> list[str]:
        """The days with data between `first` and `last` (YYYY-MM-DD, inclusive)."""
        days = await self.redis.zrangebylex(self.prefix + "days", f"[{first}", f"[{last}")
        return [d.decode() if isinstance(d, bytes) else d for d in days]

    async def totals(self, days: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        """(answers, population): each field summed over the days."""
        pipe = self.redis.pipeline(transaction=False)
        for day in days:
            pipe.hgetall(self.prefix + "agg:" + day)
            pipe.hgetall(self.prefix + "pop:" + day)
        replies = await pipe.execute()
        answers: dict[str, int] = {}
        population: dict[str, int] = {}
        for i, reply in enumerate(replies):
            into = answers if i % 2 == 0 else population
            for k, v in reply.items():
                into[k.decode()] = into.get(k.decode(), 0) + int(v)
        return answers, population

    async def backlog(self) -> int:
        return int(await self.redis.xlen(self.outbox))
