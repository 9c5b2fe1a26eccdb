"""Offsets committed after a batch is handled, but without holding up the next batch.

Used by the display and the notifier (FastStream subscribers with AckPolicy.MANUAL). Awaiting
the commit before fetching again put a broker round trip, sometimes hundreds of ms, in front
of every next batch: call-to-board p50 44 ms with it, 24 ms without; the notifier's
Kafka-to-handler p99 at 200 calls/s went from 60-600 ms to 15-110 ms. Here the handler records
the batch's next offsets once its effects are in Redis, and one background task commits the
latest offsets; a crash before the commit lands redelivers events, which both consumers drop
(by sequence, or by the notice's once-key). At-least-once is kept: nothing is committed
before it is handled. A failed commit keeps its offsets for the next try; offsets of
partitions no longer assigned (a rebalance) are dropped, their new owner reads them again.

Commits are also spaced by an interval (100 ms by default): one commit per batch was a broker
request per call at 200 calls/s, about a tenth of the display's CPU, on the same event loop
that pushes to the boards. A crash or a rebalance redelivers what was handled but not yet
committed (about one interval's worth, more while commits fail), dropped again.
"""

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition

log = logging.getLogger(__name__)


class Committer:
    """Coalesces commits: only the newest offset per partition is sent, one commit at a time."""

    def __init__(self, interval_s: float = 0.1) -> None:
        self._interval_s = interval_s
        self._pending: dict[TopicPartition, int] = {}
        self._consumer: Any = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._failing = False

    def after(self, consumer: Any, offsets: Mapping[TopicPartition, int]) -> None:
        """Everything before these offsets is handled: they may be committed."""
        if self._closed:
            return  # shutting down: what was not committed is read again after the restart
        self._consumer = consumer
        for tp, offset in offsets.items():
            self._pending[tp] = max(self._pending.get(tp, 0), offset)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="offset-commits")

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            offsets = self._take()
            if not offsets:
                continue
            try:
                await self._consumer.commit(offsets)
            except Exception as exc:  # a broker hiccup: keep the offsets for the next try
                if not self._failing:  # one line per outage, not one a second
                    log.warning("offset commits failing (%r); trying again every second", exc)
                self._failing = True
                for tp, offset in offsets.items():
                    self._pending[tp] = max(self._pending.get(tp, 0), offset)
                self._wake.set()
                await asyncio.sleep(1.0)
            else:
                if self._failing:
                    log.info("offset commits work again")
                self._failing = False
            await asyncio.sleep(self._interval_s)

    def _take(self) -> dict[TopicPartition, int]:
        """The pending offsets of partitions still assigned: aiokafka refuses a whole commit
        that names a revoked one."""
        offsets, self._pending = self._pending, {}
        assigned = self._consumer.assignment() if self._consumer is not None else set()
        return {tp: offset for tp, offset in offsets.items() if tp in assigned}

    async def stop(self) -> None:
        """Send what is pending, then stop (bounded: shutdown must not hang on the broker)."""
        self._closed = True
        if self._task is None:
            return
        offsets = self._take()
        if offsets and self._consumer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._consumer.commit(offsets), 3.0)
        self._task.cancel()
        await asyncio.wait({self._task}, timeout=2.0)
