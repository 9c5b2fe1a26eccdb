"""Tests and benchmarks leave nothing behind in the shared Redis."""

import redis.asyncio as aioredis


async def forget_site(redis: aioredis.Redis, site: str) -> None:
    """Delete a site's keys (`{site}:*`, every service's) and take it out of the notifier's
    per-group sets of sites with work (`notifier:sites:<group>`, outside the hash tag). Left
    behind, the tickets and notices of test and bench runs grow the shared Redis and its AOF
    until rewrites stall every later measurement (call-to-board p50 doubled once that way)."""
    batch = []
    async for key in redis.scan_iter(match=f"{{{site}}}:*", count=10_000):
        batch.append(key)
        if len(batch) >= 1000:
            await redis.unlink(*batch)
            batch = []
    if batch:
        await redis.unlink(*batch)
    async for key in redis.scan_iter(match="notifier:sites:*", count=10_000):
        await redis.srem(key, site)


async def forget_sites(url: str, *sites: str) -> None:
    """forget_site for each site, on a connection of its own."""
    redis = aioredis.Redis.from_url(url)
    try:
        for site in sites:
            await forget_site(redis, site)
    finally:
        await redis.aclose()
