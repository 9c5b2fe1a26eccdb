"""Who may do what: kiosk and officer tokens, the public channel's limits, failed sign-ins.

Every limit is counted in Redis through the `limits` library, so replicas share one count.
Addresses are keyed by an HMAC, never stored in clear.
"""

import hashlib
import hmac
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from antre_contracts import Catalog, load_catalog
from antre_contracts.catalog import Counter, Kiosk, Officer
from antre_contracts.redis_pool import is_cluster
from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from redis.asyncio import Redis

from ticketing.api.problems import Problem
from ticketing.config import Settings

log = logging.getLogger(__name__)

STRONG_TOKEN_CHARS = 22
"""128 random bits in URL-safe base64 (secrets.token_urlsafe(16)); `python -m ticketing.tokens`
makes tokens of 32 bytes (43 characters)."""

_BEARER = {"WWW-Authenticate": 'Bearer realm="antre"'}


@dataclass(frozen=True)
class Issuer:
    """Who issues a ticket: a kiosk (its id), or the public channel."""

    channel: str
    kiosk: Kiosk | None

    @property
    def public(self) -> bool:
        return self.kiosk is None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


DEMO_TOKENS = [
    "demo-koordinator",
    *(f"demo-loket-{i:02d}" for i in range(1, 100)),
    *(f"demo-kiosk-{i:02d}" for i in range(1, 100)),
]
"""The shipped demo catalog's tokens and their kin (written in its comments and the README)."""


def refuse_demo_tokens(catalog: Catalog, shipped: Path) -> None:
    """Production start: refuse a catalog holding any token of the shipped demo catalog."""
    demo = {token_hash(t) for t in DEMO_TOKENS}
    if shipped.exists():
        shipped_catalog = load_catalog(shipped)
        demo |= {o.token_sha256 for o in shipped_catalog.officers}
        demo |= {k.token_sha256 for k in shipped_catalog.kiosks}
    found = [o.id for o in catalog.officers if o.token_sha256 in demo]
    found += [k.id for k in catalog.kiosks if k.token_sha256 in demo]
    if found:
        raise SystemExit(
            f"refusing to start in production: demo tokens in the catalog ({', '.join(found)});"
            " make new ones with: python -m ticketing.tokens"
        )


class Access:
    """Checks tokens and limits; one per app, over the app's Redis pool."""

    def __init__(self, catalog: Catalog, settings: Settings, redis: Redis, site: str) -> None:
        self.officers = {o.token_sha256: o for o in catalog.officers}
        self.kiosks = {k.token_sha256: k for k in catalog.kiosks}
        self.production = settings.environment == "production"
        self._key = settings.secret_key.strip().encode()
        storage = _limits_storage(redis, f"{{{site}}}:lim")
        self._redis = redis
        self._blocks = f"{{{site}}}:lim:blocked"
        self._moving = MovingWindowRateLimiter(storage)  # exact: failed sign-ins
        self._sliding = SlidingWindowCounterRateLimiter(storage)  # cheap: issue rates
        self.kiosk_rate = parse_many(settings.kiosk_rate)
        self.public_per_address = parse_many(settings.public_rate_per_address)
        self.public_site = parse_many(settings.public_rate_site)
        self.lookup_misses = parse_many(settings.ticket_lookup_misses_per_address)
        self.failures_per_address = parse_many(settings.signin_failures_per_address)
        self.failures_per_counter = parse_many(settings.signin_failures_per_counter)

    def keyed(self, data: bytes, length: int = 40) -> str:
        """An HMAC under TICKETING_SECRET_KEY, hex: what Redis keeps in place of something
        that must not be read back (an address, a body holding a phone number)."""
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()[:length]

    def address(self, request: Request) -> str:
        """The client's address as a key: an HMAC, so Redis never holds it in clear."""
        return self.keyed((request.client.host if request.client else "-").encode(), 24)

    # Officers

    async def officer(self, request: Request, counter: Counter) -> Officer:
        """The officer behind the request's bearer token, if assigned to this counter."""
        officer = await self._signed_in(request, counter.id)
        if counter.id not in officer.counters:
            raise Problem("officer_not_allowed", officer_id=officer.id, counter_name=counter.name)
        return officer

    async def coordinator(self, request: Request) -> Officer:
        """An officer with the coordinator role (the coordinator page, every officer's
        figures)."""
        officer = await self._signed_in(request, None)
        if officer.role != "coordinator":
            raise Problem("not_coordinator", officer_id=officer.id)
        return officer

    async def _signed_in(self, request: Request, counter_id: str | None) -> Officer:
        """The officer behind the request's bearer token. While an address (or the counter
        signed in at) has too many failed sign-ins, every try is refused (429) before its token
        is looked at: a guess answered apart from the others would still be tested."""
        token = _bearer(request)
        address = self.address(request)
        await self._throttled(address, counter_id)
        officer = self.officers.get(token_hash(token))
        if officer is None:
            await self._failed(address, counter_id)
            raise Problem("invalid_token", headers=_BEARER)
        self._strong(token, f"officer {officer.id}")
        return officer

    async def _throttled(self, address: str, counter_id: str | None) -> None:
        """429 while the address or the counter is blocked. One MGET of the blocks the
        failures set (`_failed`): every request pays this, so not a window read per limit
        (two of those halved the issue rate and doubled call-next's latency)."""
        blocks = [("signin-addr", address)]
        if counter_id is not None:
            blocks.append(("signin-counter", counter_id))
        await self._not_blocked("too_many_attempts", *blocks)

    async def _failed(self, address: str, counter_id: str | None) -> None:
        """Count a wrong token; an address or counter that used up a limit is blocked until
        the window has room again."""
        for item in self.failures_per_address:
            await self._count(self._moving, item, "signin-addr", address)
        if counter_id is not None:
            for item in self.failures_per_counter:
                await self._count(self._moving, item, "signin-counter", counter_id)

    async def _count(
        self,
        limiter: MovingWindowRateLimiter | SlidingWindowCounterRateLimiter,
        item: RateLimitItem,
        kind: str,
        who: str,
    ) -> None:
        await limiter.hit(item, kind, who)
        stats = await limiter.get_window_stats(item, kind, who)
        if stats.remaining <= 0:
            until = max(time.time() + 1, stats.reset_time)
            await self._redis.set(f"{self._blocks}:{kind}:{who}", str(until), exat=math.ceil(until))

    async def _not_blocked(self, code: str, *blocks: tuple[str, str]) -> None:
        keys = [f"{self._blocks}:{kind}:{who}" for kind, who in blocks]
        found = [float(u) for u in await self._redis.mget(keys) if u is not None]
        if found:
            retry = str(max(1, math.ceil(max(found) - time.time())))
            raise Problem(code, {"Retry-After": retry}, retry_after=retry)

    def _strong(self, token: str, who: str) -> None:
        """Production refuses a token under 128 bits. Only hashes are in the catalog, so its
        length is first seen here, at sign-in."""
        if self.production and len(token) < STRONG_TOKEN_CHARS:
            log.warning("%s signed in with a token under 128 bits: refused", who)
            raise Problem("weak_token", headers=_BEARER)

    # Tickets

    async def issuer(self, request: Request, channel: str | None) -> Issuer:
        """A kiosk (by its token, within its rate) or the public channel (within the per
        address and site-wide public limits); refusals are 401 or 429 problems."""
        if request.headers.get("authorization"):
            token = _bearer(request)
            address = self.address(request)
            await self._throttled(address, None)
            kiosk = self.kiosks.get(token_hash(token))
            if kiosk is None:
                await self._failed(address, None)
                raise Problem("invalid_kiosk_token", headers=_BEARER)
            self._strong(token, f"kiosk {kiosk.id}")
            await self._within(self.kiosk_rate, "kiosk", kiosk.id)
            return Issuer("kiosk", kiosk)
        if channel == "kiosk":
            raise Problem("kiosk_token_required", headers=_BEARER)
        await self._within(self.public_per_address, "pub", self.address(request))
        await self._within(self.public_site, "pub-site", "all")
        return Issuer(channel or "web", None)

    async def lookup_allowed(self, request: Request) -> None:
        """A status lookup, refused (429) while its address has missed too many tickets."""
        await self._not_blocked("rate_limited", ("miss", self.address(request)))

    async def lookup_missed(self, request: Request) -> None:
        for item in self.lookup_misses:
            await self._count(self._sliding, item, "miss", self.address(request))

    async def _within(self, items: list[RateLimitItem], *who: str) -> None:
        """Count an issue request against rate limits (429 once one is used up)."""
        for item in items:
            if not await self._sliding.hit(item, *who):
                stats = await self._sliding.get_window_stats(item, *who)
                retry = str(max(1, math.ceil(stats.reset_time - time.time())))
                raise Problem("rate_limited", {"Retry-After": retry}, retry_after=retry)


class _SharedClusterStorage(RedisStorage):
    """limits' Redis storage on the app's own RedisCluster client: limits' cluster storage
    (`async+redis+cluster://`) would build a second client, with its own connections and
    none of antre_contracts.redis_pool's settings. The storage is limits' RedisStorage (its
    cluster subclass differs only in building that client and in `reset`, which Antre never
    calls): its scripts are EVALSHAs of 1 or 2 keys, routed by key like any command, and the
    2 keys of a sliding window share our prefix's hash tag: `{site}:lim:{<limit>}` and
    `{site}:lim:{<limit>}/-1` hash by `site`, the first braces. No STORAGE_SCHEME of its own, so
    limits' scheme registry is untouched."""

    def __init__(self, client: Redis, key_prefix: str) -> None:
        self._client = client
        super().__init__("async+redis://", implementation="redispy", key_prefix=key_prefix)

    def configure_bridge(self) -> None:
        bridge = self.bridge
        assert isinstance(bridge, RedispyBridge)
        client = cast(Any, self._client)  # limits' protocol, which redis-py's types do not match
        bridge.storage = client
        bridge.connection_getter = lambda _readonly: client


def _limits_storage(redis: Redis, key_prefix: str) -> RedisStorage:
    """limits' storage on the app's Redis: its pool, or its cluster client."""
    if is_cluster(redis):
        return _SharedClusterStorage(redis, key_prefix)
    return RedisStorage(
        "async+redis://",
        implementation="redispy",
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # passed to Redis()
        key_prefix=key_prefix,
    )


def _bearer(request: Request) -> str:
    """The token of an `Authorization: Bearer` header (401 without one)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem("missing_token", headers=_BEARER)
    return token.strip()
