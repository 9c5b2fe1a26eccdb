"""Facts about the machine a benchmark ran on, recorded with its results."""

import os
import subprocess

import redis.asyncio as aioredis


def _local_routes(*selector: str) -> list[str]:
    try:
        out = subprocess.run(
            ["ip", "route", "show", "table", "local", *selector],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return out.splitlines()


def kannel_box_quickack() -> bool:
    """Whether Kannel's bearerbox-smsbox link has its quickack route (`infra.sh up kannel`
    adds it as root). Without it sendsms replies with delivery reports wait up to ~40 ms."""
    box_host = os.environ.get("KANNEL_BOX_HOST", "127.0.0.2")
    return any("quickack 1" in route for route in _local_routes(f"{box_host}/32"))


def loopback_quickack() -> bool:
    """Whether every loopback route has quickack: the machine-wide `infra.sh tune` of
    2026-11-28, since removed. It changes every hop on 127.0.0.1; recorded so that a machine
    still set that way is not mistaken for a default one."""
    return any(
        route.startswith(("local 127.0.0.0/8 ", "local 127.0.0.1 ")) and "quickack 1" in route
        for route in _local_routes()
    )


async def redis_stalls_begin(url: str) -> None:
    """Start Redis's latency monitor (events over 20 ms) from zero."""
    redis = aioredis.Redis.from_url(url)
    try:
        await redis.config_set("latency-monitor-threshold", 20)
        await redis.execute_command("LATENCY", "RESET")  # type: ignore[no-untyped-call]
    finally:
        await redis.aclose()


async def redis_stalls(url: str) -> dict[str, int]:
    """The longest stall Redis saw per event since redis_stalls_begin, in ms: with
    `appendfsync always` every write waits for the disk, so a slow fsync (`aof-fsync-always`)
    holds back every service on this Redis at once."""
    redis = aioredis.Redis.from_url(url)
    try:
        rows = await redis.execute_command("LATENCY", "LATEST")  # type: ignore[no-untyped-call]
    finally:
        await redis.aclose()
    return {(r[0].decode() if isinstance(r[0], bytes) else str(r[0])): int(r[3]) for r in rows}
