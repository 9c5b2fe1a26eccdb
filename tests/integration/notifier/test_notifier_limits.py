"""The SMS bill ceiling and the age rule as claim.lua applies them, on the real Redis: the
daily caps as a table of examples, and counts that hold when anything is repeated (a retry, an
in-doubt resend, a script re-sent by the client, a redelivered event)."""

import time

import pytest
import redis.asyncio as aioredis
from notifier.limits import Limits
from notifier.store import NotifierStore, prefix

from tests.integration.notifier.helpers import notice_row, unique_phone

DAY = "2026-11-28"
LEASE_MS = 10_000
TTL_S = 3600
HOUR_MS = 3_600_000


def limits(per_number: int, per_site: int) -> Limits:
    return Limits(
        rate_count=100,
        rate_ms=600_000,
        per_number=per_number,
        per_site=per_site,
        max_age_ms={"issued": HOUR_MS, "near_turn": HOUR_MS, "called": HOUR_MS, "survey": HOUR_MS},
    )


def now_ms() -> int:
    return int(time.time() * 1000)


async def claim(
    store: NotifierStore, site: str, lim: Limits, day: str = DAY, at_ms: int | None = None
) -> dict[str, str]:
    """One claim: {notice id: 'claimed' or the reason it was dropped}."""
    at = now_ms() if at_ms is None else at_ms
    claimed, dropped, _, _ = await store.claim(site, day, at, 100, LEASE_MS, lim, TTL_S)
    return {c.id: "claimed" for c in claimed} | {d.id: d.reason for d in dropped}


@pytest.mark.parametrize(
    ("numbers", "per_number", "per_site", "outcomes"),
    [
        ("aaa", 2, 10, ["claimed", "claimed", "number_daily_cap"]),
        ("abcd", 10, 3, ["claimed", "claimed", "claimed", "site_daily_budget"]),
        ("aab", 1, 10, ["claimed", "number_daily_cap", "claimed"]),
        ("aab", 1, 1, ["claimed", "site_daily_budget", "site_daily_budget"]),
    ],
    ids=[
        "a number's SMS beyond its daily cap is skipped",
        "the site's SMS beyond its daily budget is skipped, whoever it is for",
        "one number at its cap holds back no other number",
        "a spent site budget skips every number",
    ],
)
async def test_daily_caps_skip_what_goes_beyond_them(
    redis_client: aioredis.Redis,
    site_id: str,
    numbers: str,
    per_number: int,
    per_site: int,
    outcomes: list[str],
) -> None:
    store = NotifierStore(redis_client)
    phones = {n: unique_phone() for n in set(numbers)}
    rows = [notice_row(site_id, i + 1, f"t{i:02d}", phones[n]) for i, n in enumerate(numbers)]
    await store.apply_many(rows, TTL_S, now_ms())
    got = await claim(store, site_id, limits(per_number, per_site))
    assert [got[f"t{i:02d}|issued|"] for i in range(len(numbers))] == outcomes
    # Skipped means finished: out of the outbox (never retried), and the once-key says why.
    outbox = set(await redis_client.zrange(prefix(site_id) + "due", 0, -1))
    assert outbox == {n.encode() for n, o in got.items() if o == "claimed"}
    for n, o in got.items():
        assert await store.outcome(site_id, n) == ("queued" if o == "claimed" else "capped")


async def test_the_daily_counts_restart_on_the_sites_next_day(
    redis_client: aioredis.Redis, site_id: str
) -> None:
    store, phone = NotifierStore(redis_client), unique_phone()
    await store.apply_many([notice_row(site_id, 1, "t1", phone)], TTL_S, now_ms())
    assert await claim(store, site_id, limits(1, 1), day=DAY) == {"t1|issued|": "claimed"}
    await store.apply_many([notice_row(site_id, 2, "t2", phone)], TTL_S, now_ms())
    assert await claim(store, site_id, limits(1, 1), day="2026-11-29") == {"t2|issued|": "claimed"}


async def test_an_sms_counts_once_however_often_it_is_claimed_or_its_event_comes(
    redis_client: aioredis.Redis, site_id: str
) -> None:
    store, phone = NotifierStore(redis_client), unique_phone()
    lim = limits(per_number=1, per_site=1)
    row = notice_row(site_id, 1, "t1", phone)
    await store.apply_many([row], TTL_S, now_ms())
    assert await claim(store, site_id, lim) == {"t1|issued|": "claimed"}
    # The same script again (a client retry after a lost answer): the lease hides the notice.
    assert await claim(store, site_id, lim) == {}
    # Back after a gateway failure, then in doubt after a crash: sent again, never capped.
    await store.retry(site_id, "t1|issued|", now_ms(), "Kannel unreachable")
    assert await claim(store, site_id, lim) == {"t1|issued|": "claimed"}
    assert await claim(store, site_id, lim, at_ms=now_ms() + LEASE_MS + 1) == {
        "t1|issued|": "claimed"
    }
    # The event again (a redelivery): a copy, nothing new to send.
    [applied] = await store.apply_many([row], TTL_S, now_ms())
    assert (applied.verdict, applied.queued) == ("copy", 0)
    assert await redis_client.scard(prefix(site_id) + f"day:{DAY}") == 1
    # The one count it made still fills the budget of 1.
    await store.apply_many([notice_row(site_id, 2, "t2", unique_phone())], TTL_S, now_ms())
    assert await claim(store, site_id, lim) == {"t2|issued|": "site_daily_budget"}


async def test_a_stale_notice_is_dropped_before_it_can_use_the_budget(
    redis_client: aioredis.Redis, site_id: str
) -> None:
    store = NotifierStore(redis_client)
    old = notice_row(site_id, 1, "t1", unique_phone(), kind="survey", age_s=2 * 3600)
    fresh = notice_row(site_id, 2, "t2", unique_phone(), kind="survey")
    await store.apply_many([old, fresh], TTL_S, now_ms())
    got = await claim(store, site_id, limits(per_number=5, per_site=1))
    assert got == {"t1|survey|": "stale", "t2|survey|": "claimed"}
    assert await store.outcome(site_id, "t1|survey|") == "stale"
