"""long_poll: a FastStream batch subscriber waits in getmany, never sleeps after an empty poll.
The subscriber is FastStream's own (built by a router, never started); the consumer is a fake
that records its calls (pure bookkeeping)."""

import time
from typing import Any

import pytest
from aiokafka.errors import ConsumerStoppedError
from antre_contracts.batches import long_poll
from faststream.kafka import KafkaRouter


class FakeConsumer:
    def __init__(self, replies: list[dict[str, list[Any]]]) -> None:
        self.replies = replies
        self.calls: list[tuple[int, int]] = []

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[str, list[Any]]:
        self.calls.append((timeout_ms, max_records))
        if not self.replies:
            raise ConsumerStoppedError  # how FastStream's loop learns the consumer is gone
        return self.replies.pop(0)


def batch_subscriber() -> Any:
    # FastStream's default batch_timeout_ms (200) and its sleep after an empty poll.
    return KafkaRouter().subscriber("t", group_id="g", batch=True, max_records=7)


async def test_empty_poll_returns_at_once_and_records_come_flat_in_order() -> None:
    subscriber = long_poll(batch_subscriber(), 1000)
    consumer = FakeConsumer([{}, {"p0": [1, 2], "p1": [3]}])

    started = time.perf_counter()
    assert await subscriber.get_msg(consumer) == ()
    assert time.perf_counter() - started < 0.05  # FastStream's own would sleep 200 ms here
    assert await subscriber.get_msg(consumer) == (1, 2, 3)
    assert consumer.calls == [(1000, 7), (1000, 7)]


async def test_without_long_poll_faststream_sleeps_after_an_empty_poll() -> None:
    # What long_poll exists for; if FastStream stops sleeping, long_poll can go.
    consumer = FakeConsumer([{}])
    started = time.perf_counter()
    assert await batch_subscriber().get_msg(consumer) == ()
    assert time.perf_counter() - started >= 0.15


async def test_faststreams_own_consume_loop_calls_it() -> None:
    # If an upgrade stopped calling self.get_msg, the patch would do nothing, silently, and
    # FastStream's 200 ms default poll and sleep would be back on every call.
    subscriber = long_poll(batch_subscriber(), 1000)
    subscriber.running = True
    consumer = FakeConsumer([{}, {}, {}])
    started = time.perf_counter()
    await subscriber._run_consume_loop(consumer)  # returns on ConsumerStoppedError
    assert time.perf_counter() - started < 0.1
    assert consumer.calls == [(1000, 7)] * 4


def test_refuses_a_subscriber_that_is_not_a_batch_one_or_no_wait() -> None:
    single = KafkaRouter().subscriber("t", group_id="g")
    with pytest.raises(TypeError):
        long_poll(single, 1000)
    with pytest.raises(ValueError):
        long_poll(batch_subscriber(), 0)
