"""The display keeps its Kafka offsets in its own Redis, in the script that applies the events,
so the projection and the offsets roll back together: a Redis that lost its last writes (no
fsync on every write) or all of them is caught up from Kafka, on a real Redis killed with
SIGKILL and restarted from an older copy of its data, or from nothing."""

import shutil
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from tests.support.redis import PrivateRedis

from .test_display_board import board
from .test_display_sequence import committed, numbers


def calls(events: Any, first: int, last: int) -> list[tuple[str, bytes]]:
    return [events.called(f"A-{n:03d}", "ktp-el", 1) for n in range(first, last + 1)]


def newest_first(first: int, last: int) -> list[str]:
    return [f"A-{n:03d}" for n in range(last, first - 1, -1)]


async def test_a_redis_that_lost_its_last_writes_is_caught_up_from_kafka(
    new_topic: Any, display_settings: Any, events: Any, produce: Any, tools: Any, tmp_path: Path
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    store = PrivateRedis(tmp_path / "redis").start()
    try:
        async with tools.running(display_settings(topic, dlq, redis_url=store.url)) as display:

            async def shows(first: int, last: int) -> None:
                async def shown() -> bool:
                    return numbers(await board(display.http)) == newest_first(first, last)

                await tools.eventually(shown, f"A-{first:03d}..A-{last:03d} on the board", 30)

            await produce(topic, *calls(events, 1, 3))
            await shows(1, 3)
            store.kill()
            store.copy_data(tmp_path / "after-3")  # the projection and offsets after A-003
            store.start()
            await produce(topic, *calls(events, 4, 6))
            await shows(1, 6)

            # The Redis dies and comes back without A-004..A-006 (what `appendfsync everysec`
            # may lose): its offsets say so, and the consumer, already past them, reads again.
            store.kill()
            store.restore(tmp_path / "after-3")
            store.start()
            await produce(topic, *calls(events, 7, 7))
            await shows(1, 7)

            # A new, empty Redis: the projection is built again from the topic's beginning.
            store.kill()
            shutil.rmtree(store.home / "appendonlydir")
            store.start()
            await produce(topic, *calls(events, 8, 8))
            await shows(1, 8)
    finally:
        store.kill()


async def test_a_restarted_display_reads_from_the_offsets_in_its_redis_not_kafkas_commits(
    new_topic: Any, display_settings: Any, events: Any, produce: Any, tools: Any, redis_url: str
) -> None:
    """Kafka's commit is past both calls; the offsets in Redis, set back to the start, decide:
    the restarted display reads both again (copies, dropped) and the board stays right."""
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    settings = display_settings(topic, dlq, commit_interval_ms=50)
    async with tools.running(settings) as display:
        await produce(topic, *calls(events, 1, 2))

        async def two() -> bool:
            return numbers(await board(display.http)) == newest_first(1, 2)

        await tools.eventually(two, "A-001, A-002 on the board")

        async def committed_both() -> bool:
            return list(
                (await committed(display.settings.kafka_bootstrap, settings.group_id)).values()
            ) == [2]

        await tools.eventually(committed_both, "Kafka's commit past both calls")
    redis = aioredis.Redis.from_url(redis_url)
    key = f"{{{settings.site_id}}}:display:offsets"
    try:
        kept = {k.decode(): v.decode() for k, v in (await redis.hgetall(key)).items()}
        assert list(kept.values()) == ["2:2"], kept  # both calls on one partition: read 2
        (tp,) = kept
        await redis.hset(key, tp, "0:0")
        async with tools.running(settings) as display:

            async def copies() -> bool:
                lines = (await display.http.get("/metrics")).text.splitlines()
                seen = [line for line in lines if line.startswith("display_events_total{")]
                return sum(float(x.rsplit(" ", 1)[1]) for x in seen if 'result="copy"' in x) == 2

            await tools.eventually(copies, "both calls read again from Redis's offsets")
            assert numbers(await board(display.http)) == newest_first(1, 2)
    finally:
        await redis.aclose()
