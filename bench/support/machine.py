"""Facts about the machine a benchmark ran on, recorded with its results."""

import subprocess

import redis.asyncio as aioredis


def kannel_box_quickack(box_host: str = "127.0.0.2") -> bool:
    """Whether Kannel's bearerbox-smsbox link has its quickack route (`infra.sh up kannel`
    adds it as root). Without it sendsms replies with delivery reports wait ~40 ms."""
    try:
        routes = subprocess.run(
            ["ip", "route", "show", "table", "local", f"{box_host}/32"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return "quickack 1" in routes


async def redis_stalls_begin(url: str) -> None:
    """Start Redis's latency monitor (events over 20 ms) from zero."""
    redis = aioredis.Redis.from_url(url)
    try:
        await redis.config_set("latency-monitor-threshold", 20)
        await redis.execute_command("LATENCY", "RESET")
    finally:
        await redis.aclose()


async def redis_stalls(url: str) -> dict[str, int]:
    """The longest stall Redis saw per event since redis_stalls_begin, in ms: with
    `appendfsync always` every write waits for the disk, so a slow fsync (`aof-fsync-always`)
    holds back every service on this Redis at once."""
    redis = aioredis.Redis.from_url(url)
    try:
        rows = await redis.execute_command("LATENCY", "LATEST")
    finally:
        await redis.aclose()
    return {(r[0].decode() if isinstance(r[0], bytes) else str(r[0])): int(r[3]) for r in rows}
