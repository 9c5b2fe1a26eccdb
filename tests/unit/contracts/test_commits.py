"""The background committer: only handled offsets, newest per partition, none lost on a failed
commit, none for revoked partitions, nothing after stop. A fake consumer (pure bookkeeping)."""

import asyncio
from typing import Any

from aiokafka import TopicPartition
from antre_contracts.commits import Committer

TP0, TP1 = TopicPartition("t", 0), TopicPartition("t", 1)


class FakeConsumer:
    def __init__(self, fail: int = 0) -> None:
        self.assigned = {TP0, TP1}
        self.commits: list[dict[TopicPartition, int]] = []
        self.fail = fail

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("broker away")
        self.commits.append(dict(offsets))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_commits_the_newest_offset_given_per_partition() -> None:
    consumer, committer = FakeConsumer(), Committer(interval_s=10)
    committer.after(consumer, {TP0: 6, TP1: 10})
    committer.after(consumer, {TP0: 4})  # an older offset never moves a commit back
    await settle()
    assert consumer.commits == [{TP0: 6, TP1: 10}]
    await committer.stop()


async def test_a_failed_commit_keeps_its_offsets_for_the_next_try() -> None:
    consumer, committer = FakeConsumer(fail=1), Committer(interval_s=0.01)
    committer.after(consumer, {TP0: 6})
    await settle()
    assert consumer.commits == []
    committer.after(consumer, {TP1: 3})
    await asyncio.sleep(1.2)  # the retry pause after a failure
    assert consumer.commits == [{TP0: 6, TP1: 3}]
    await committer.stop()


async def test_offsets_of_a_revoked_partition_are_not_sent() -> None:
    consumer, committer = FakeConsumer(), Committer(interval_s=0.01)
    consumer.assigned = {TP1}
    committer.after(consumer, {TP0: 6, TP1: 8})
    await settle()
    assert consumer.commits == [{TP1: 8}]
    await committer.stop()


async def test_stop_sends_what_is_pending_and_then_takes_nothing_more() -> None:
    consumer, committer = FakeConsumer(), Committer(interval_s=10)
    committer.after(consumer, {TP0: 2})
    await settle()  # first commit sent; the task now waits out the interval
    committer.after(consumer, {TP0: 5})
    await committer.stop()
    committer.after(consumer, {TP0: 10})
    await settle()
    sent: list[Any] = consumer.commits
    assert sent == [{TP0: 2}, {TP0: 5}]
