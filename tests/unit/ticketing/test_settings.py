"""Ticketing settings that are decided from others."""

from ticketing.config import Settings


def test_a_redis_cluster_waits_for_a_replica_by_default() -> None:
    # Redis replicates asynchronously: a change answered just before its master dies can be
    # missing on the promoted replica, so on a cluster each change waits for one replica.
    assert Settings(redis_url="redis+cluster://127.0.0.1:7000/").redis_wait_replicas == 1
    assert Settings(redis_url="rediss+cluster://127.0.0.1:7000/").redis_wait_replicas == 1
    assert Settings(redis_url="redis://127.0.0.1:6379/0").redis_wait_replicas == 0
    explicit = Settings(redis_url="redis+cluster://127.0.0.1:7000/", redis_wait_replicas=0)
    assert explicit.redis_wait_replicas == 0
