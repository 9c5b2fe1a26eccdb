"""Facts about the machine a benchmark ran on, recorded with its results."""

import subprocess

import redis.asyncio as aioredis


def loopback_quickack() -> bool:
    """Whether `deploy/local/infra.sh tune` is on (quickack on the loopback routes), which
    removes Kannel's ~40 ms delayed-ACK stalls and changes every loopback round trip a little."""
    try:
        routes = subprocess.run(
            ["ip", "route", "show", "table", "local"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return any(r.startswith("local 127.0.0.0/8") and "quickack 1" in r for r in routes.splitlines())


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
