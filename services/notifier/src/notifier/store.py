"""The notifier's Redis state: once-keys, the per-site outbox of notices, ticket info.

Keys (hash tag = site, so one site's keys share a slot): `{site}:notifier:seq` (last applied
sequence per partitionkey), `:due` (zset of notices ready to send), `:notice:<id>`,
`:once:<id>` (outcome; makes "once" survive redelivery and restarts), `:tq:<ticket>`
(the ticket's notices in order), `:ticket:<id>` (encrypted phone, number, service),
`:rate:<number-hmac>`, `:day:<date>` and `:day:<date>:<number-hmac>` (the notices counted
against the site's and a number's daily cap). `notifier:sites:<group>` lists the sites that
may have work for that consumer group (a notifier serves only sites its own group has seen
events of). A notice in 'sending' may carry `dlr` or `dlr_failed` (Kannel's delivery report,
see dlr.lua).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
import redis.asyncio as aioredis

from notifier.limits import Limits

_HERE = Path(__file__).parent


def prefix(site: str) -> str:
    return f"{{{site}}}:notifier:"


@dataclass(frozen=True)
class Claimed:
    id: str
    in_doubt: bool
    confirmed: bool  # in doubt, but the gateway's delivery report says it had the SMS
    reported_failed: bool  # in doubt, and a delivery report says it did not go out
    ticket_id: str
    kind: str
    service_id: str
    fields: dict[str, Any]
    number: str
    phone_token: str
    event_ms: int
    attempts: int


@dataclass(frozen=True)
class Dropped:
    """A due notice finished unsent by claim.lua: reason "stale", or the daily cap reached."""

    id: str
    kind: str
    reason: str


@dataclass(frozen=True)
class Applied:
    verdict: str
    """"applied", or "copy" / "stale" (dropped), or "gap" (held: see apply.lua)."""
    queued: int


class NotifierStore:
    """All Redis access of the notifier; each state change is one Lua script."""

    def __init__(self, redis: aioredis.Redis, group: str = "notifier") -> None:
        self.redis = redis
        self.sites_key = f"notifier:sites:{group}"
        self._apply = redis.register_script((_HERE / "apply.lua").read_text())
        self._claim = redis.register_script((_HERE / "claim.lua").read_text())
        self._finish = redis.register_script((_HERE / "finish.lua").read_text())
        self._retry = redis.register_script((_HERE / "retry.lua").read_text())
        self._dlr = redis.register_script((_HERE / "dlr.lua").read_text())

    async def apply_many(
        self, items: Sequence[tuple[str, str, int, int, bytes]], ttl_s: int, now_ms: int
    ) -> list[Applied]:
        """Apply (site, partitionkey, epoch, sequence, plan_json) in order, in one round trip."""
        if not items:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for site, pkey, epoch, seq, plan in items:
                p = prefix(site)
                await self._apply(
                    keys=[p + "seq", p + "due"],
                    args=[pkey, seq, ttl_s, now_ms, p, plan, epoch],
                    client=pipe,
                )
            sites = {site for site, *_ in items}
            pipe.sadd(self.sites_key, *sites)
            results = await pipe.execute()
        return [Applied(_s(r[0]), int(r[1])) for r in results[:-1]]

    async def claim(
        self,
        site: str,
        day: str,
        now_ms: int,
        limit: int,
        lease_ms: int,
        limits: Limits,
        ttl_s: int,
        hold_ms: int = 0,
        started_ms: int = 0,
    ) -> tuple[list[Claimed], list[Dropped], int, int]:
        """Due notices, now marked 'sending'; those finished unsent (stale, capped); how many
        waited for the rate limit; and the depth of the outbox. `day`: the site's local date.
        hold_ms > 0: an unreported in-doubt notice waits for a late delivery report."""
        p = prefix(site)
        rules = orjson.dumps(
            {
                "rate_count": limits.rate_count,
                "rate_ms": limits.rate_ms,
                "day": day,
                "per_number": limits.per_number,
                "per_site": limits.per_site,
                "max_age_ms": limits.max_age_ms,
            }
        )
        rows, limited, depth, dropped = await self._claim(
            keys=[p + "due"],
            args=[now_ms, limit, lease_ms, p, hold_ms, started_ms, ttl_s, rules],
        )
        claimed = [
            Claimed(
                id=_s(r[0]),
                in_doubt=int(r[1]) > 0,
                confirmed=int(r[1]) == 2,
                reported_failed=int(r[1]) == 3,
                ticket_id=_s(r[2]),
                kind=_s(r[3]),
                service_id=_s(r[4]),
                fields=orjson.loads(r[5]),
                number=_s(r[6]),
                phone_token=_s(r[7]),
                event_ms=int(r[8]),
                attempts=int(r[9]),
            )
            for r in rows
        ]
        gone = [Dropped(_s(d[0]), _s(d[1]), _s(d[2])) for d in dropped]
        return claimed, gone, int(limited), int(depth)

    async def finish(
        self, site: str, outcomes: Sequence[tuple[str, str]], ttl_s: int, now_ms: int
    ) -> int:
        p = prefix(site)
        args: list[str | int] = [now_ms, p, ttl_s]
        for notice_id, outcome in outcomes:
            args += [notice_id, outcome]
        return int(await self._finish(keys=[p + "due"], args=args))

    async def retry(self, site: str, notice_id: str, due_ms: int, error: str) -> int:
        p = prefix(site)
        return int(await self._retry(keys=[p + "due"], args=[p, notice_id, due_ms, error]))

    async def delivery_report(
        self, site: str, notice_id: str, effect: Literal["sent", "failed"], status: int
    ) -> bool:
        """Kannel says this notice's SMS went out, or did not (one Redis call; ignored once the
        notice is finished)."""
        nk = prefix(site) + "notice:" + notice_id
        return bool(await self._dlr(keys=[nk], args=[effect, status]))

    async def sites(self) -> list[str]:
        return sorted(_s(s) for s in await self.redis.smembers(self.sites_key))

    async def backlog(self) -> int:
        """Notices in every site's outbox (due now or scheduled for a retry)."""
        sites = await self.sites()
        return sum([int(await self.redis.zcard(prefix(site) + "due")) for site in sites])

    async def forget_idle_site(self, site: str) -> None:
        """Drop a site with nothing due; re-add if a notice slipped in meanwhile."""
        await self.redis.srem(self.sites_key, site)
        if await self.redis.zcard(prefix(site) + "due"):
            await self.redis.sadd(self.sites_key, site)

    async def outcome(self, site: str, notice_id: str) -> str | None:
        v = await self.redis.get(prefix(site) + "once:" + notice_id)
        return None if v is None else _s(v)


def _s(v: bytes | str) -> str:
    return v.decode() if isinstance(v, bytes) else v
