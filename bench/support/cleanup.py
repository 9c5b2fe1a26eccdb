"""Benchmarks leave nothing behind in the shared Redis."""

import redis.asyncio as aioredis


async def forget_site(redis: aioredis.Redis, site: str) -> None:
    """Delete a bench site's keys (`{site}:*`, every service's): left behind, tens of thousands
    of tickets and notices a run grow the shared Redis and its AOF until rewrites stall every
    later measurement (call-to-board p50 doubled once that way)."""
    batch = []
    async for key in redis.scan_iter(match=f"{{{site}}}:*", count=10_000):
        batch.append(key)
        if len(batch) >= 1000:
            await redis.unlink(*batch)
            batch = []
    if batch:
        await redis.unlink(*batch)


async def forget_sites(url: str, *sites: str) -> None:
    """forget_site for each site, on a connection of its own."""
    redis = aioredis.Redis.from_url(url)
    try:
        for site in sites:
            await forget_site(redis, site)
    finally:
        await redis.aclose()
