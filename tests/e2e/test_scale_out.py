"""The scale-out layout under a simulated day (bench/faults/scale.py): three Kafka brokers, a
Redis per service with ticketing's on a Redis Cluster of three masters and three replicas, two
processes of each service; the leader broker of a partition, one ticketing (the relay's), one
display, one notifier and the Redis Cluster master serving the site are killed with SIGKILL.
Afterwards nothing acknowledged is lost, no ticket is called twice, every board (SSE, through
the displays' one address) saw every call once and ends right, both displays agree, every SMS
due was sent once. The times until calls reach boards again are printed."""

import asyncio
from pathlib import Path

import pytest
from redis.crc import key_slot

from bench.faults.run import arguments
from bench.faults.scale import ScaledHall, failures, scale_run
from tests.support.redis import PrivateRedis
from tests.support.redis_cluster import RedisCluster

pytestmark = pytest.mark.e2e


async def test_a_day_on_three_brokers_and_two_of_everything_survives_one_of_each_killed(
    tmp_path: Path,
) -> None:
    own = {name: PrivateRedis(tmp_path / f"redis-{name}").start() for name in
           ("display", "notifier")}  # fmt: skip
    cluster = RedisCluster(tmp_path / "redis-ticketing").start()

    async def kill_master(hall: ScaledHall) -> str:
        slot = key_slot(f"{{{hall.site}}}:tk".encode())
        dead = cluster.slot_owner(slot)
        cluster.kill(dead)
        promoted = await asyncio.to_thread(cluster.wait_promoted, slot, dead)
        return f"master {dead} of slot {slot}, replica {promoted} promoted"

    urls = {"ticketing": cluster.url, **{n: r.url for n, r in own.items()}}
    args = arguments(["--speed", "120", "--hours", "2", "--visitors", "150", "--pause", "4",
                      "--down", "2"])  # fmt: skip
    try:
        result = await scale_run(args, tmp_path, urls, kill_master)
    finally:
        for r in own.values():
            r.kill()
        cluster.stop()
    for f in result["faults"]:
        print(f"{f['name']} ({f['detail']}): kill -> first call on a board "
              f"{f['to_call_after_kill_s']} s, back -> {f['to_call_s']} s")  # fmt: skip
    assert failures(result) == []
    assert result["day"]["issued"] > 100 and result["day"]["with_phone"] > 20
    assert [f["name"] for f in result["faults"]][-1] == "redis-master"
    for f in result["faults"]:
        assert f["to_call_s"] is not None and f["to_call_s"] < 30, f
