"""The scale-out layout under a simulated day (bench/faults/scale.py): three Kafka brokers, a
Redis per service, two processes of each service; the leader broker of a partition, one
ticketing (the relay's), one display and one notifier are killed with SIGKILL. Afterwards
nothing acknowledged is lost, no ticket is called twice, every board (SSE, through the displays'
one address) saw every call once and ends right, both displays agree, every SMS due was sent
once. The times until calls reach boards again are printed."""

from pathlib import Path

import pytest

from bench.faults.run import arguments
from bench.faults.scale import failures, scale_run
from tests.support.redis import PrivateRedis

pytestmark = pytest.mark.e2e


async def test_a_day_on_three_brokers_and_two_of_everything_survives_one_of_each_killed(
    tmp_path: Path,
) -> None:
    redis = {name: PrivateRedis(tmp_path / f"redis-{name}").start() for name in
             ("ticketing", "display", "notifier")}  # fmt: skip
    args = arguments(["--speed", "120", "--hours", "2", "--visitors", "150", "--pause", "4",
                      "--down", "2"])  # fmt: skip
    try:
        result = await scale_run(args, tmp_path, {n: r.url for n, r in redis.items()})
    finally:
        for r in redis.values():
            r.kill()
    for f in result["faults"]:
        print(f"{f['name']} ({f['detail']}): kill -> first call on a board "
              f"{f['to_call_after_kill_s']} s, back -> {f['to_call_s']} s")  # fmt: skip
    assert failures(result) == []
    assert result["day"]["issued"] > 100 and result["day"]["with_phone"] > 20
    for f in result["faults"]:
        assert f["to_call_s"] is not None and f["to_call_s"] < 30, f
