"""The outbox relay: publishes the Redis outbox to Kafka in order, trims only what was acked."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

import redis.asyncio as aioredis

from ticketing import metrics

log = logging.getLogger(__name__)

Entry = tuple[bytes, dict[bytes, bytes]]
Publish = Callable[[bytes, bytes], Awaitable["asyncio.Future[Any]"]]
"""(key, value) -> the producer's delivery future (resolved when the broker acknowledged)."""
Report = Callable[[int, int, BaseException | None, float], None]
"""After each batch: (acked, not acked, the first error, seconds from first send to the end)."""


class OutboxRelay:
    """One running relay per site (a Redis lease), so replicas never publish out of order."""

    def __init__(
        self,
        redis: aioredis.Redis,
        outbox: str,
        publish: Publish,
        batch: int = 500,
        lease_s: int = 60,
        retry_max_s: float = 5.0,
        report: Report | None = None,
    ) -> None:
        self.redis = redis
        self.outbox = outbox
        self.lease = f"{outbox}:relay-lease"
        self.publish = publish
        self.batch = batch
        self.lease_s = lease_s
        self.retry_max_s = retry_max_s
        self.report = report
        self.owner = f"relay-{id(self):x}"
        self._last = b"0-0"
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            # aiokafka can swallow a cancel while it waits for metadata: do not wait forever.
            await asyncio.wait({self._task}, timeout=2.0)
        await self.redis.eval(_RELEASE, 1, self.lease, self.owner)

    async def _run(self) -> None:
        backoff = 0.05
        renew_at = counted_at = 0.0
        # The flag, not only the cancel: redis-py can turn a cancel into a ConnectionError.
        while not self._stopping:
            try:
                now = time.monotonic()
                if now >= renew_at:  # renewing is a round trip: not on every batch
                    if not await self._hold_lease():
                        await asyncio.sleep(self.lease_s / 3)
                        continue
                    renew_at = now + self.lease_s / 3
                if now >= counted_at:
                    metrics.OUTBOX_BACKLOG.set(await self.redis.xlen(self.outbox))
                    counted_at = now + 1.0
                await self._drain_once()
                backoff = 0.05
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker or Redis is away: keep trying, keep the outbox
                metrics.RELAY_ERRORS.inc()
                log.warning("outbox relay: %s; retrying in %.2fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(self.retry_max_s, backoff * 2)

    async def _hold_lease(self) -> bool:
        got = await self.redis.eval(_ACQUIRE, 1, self.lease, self.owner, str(self.lease_s * 1000))
        return bool(got)

    async def _drain_once(self) -> None:
        entries = cast(list[Entry], await self.redis.xrange(self.outbox, count=self.batch))
        if not entries:
            # Block for what comes after the last relayed entry: an entry added since the
            # XRANGE above returns at once (with "$" it would wait for the next one). What it
            # returns is sent right away: reading it again with XRANGE cost every event one
            # more Redis round trip on its way to the boards.
            reply: Any = await self.redis.xread(
                {self.outbox: self._last}, block=1000, count=self.batch
            )
            if not reply:
                return
            entries = cast(list[Entry], reply[0][1])
        futures, refused = [], None
        sent_at = time.perf_counter()
        for i, (_, fields) in enumerate(entries, start=1):
            if i % 25 == 0:
                await asyncio.sleep(0)  # a big batch must not hold back the HTTP requests
            try:
                futures.append(await self.publish(fields[b"k"], fields[b"e"]))
            except Exception as exc:  # no metadata: the rest of the batch waits for next time
                refused = exc
                break
        results: list[Any] = await asyncio.gather(*futures, return_exceptions=True)
        if refused is not None:
            results.append(refused)
        done: list[bytes] = []
        failed_keys: set[bytes] = set()
        for (entry_id, fields), result in zip(entries, results, strict=False):
            # An event after a failed one of the same queue stays too, to keep queue order.
            if isinstance(result, BaseException) or fields[b"k"] in failed_keys:
                failed_keys.add(fields[b"k"])
            else:
                done.append(entry_id)
        if done:
            await self.redis.xdel(self.outbox, *done)
            metrics.EVENTS_RELAYED.inc(len(done))
            self._last = max(self._last, done[-1], key=_stream_id)
        self._report(results[: len(futures)], time.perf_counter() - sent_at)
        if len(done) < len(entries):
            error = next(r for r in results if isinstance(r, BaseException))
            raise RuntimeError(f"{len(entries) - len(done)} events not acknowledged: {error!r}")

    def _report(self, outcomes: list[Any], seconds: float) -> None:
        """Only what reached the producer: a send refused before it (not connected, no
        metadata) is no publish, and shows in antre_outbox_relay_errors_total. An event Kafka
        acknowledged but kept back for its queue's order is published again later, and counted
        again, like any resend."""
        if self.report is None or not outcomes:
            return
        errors = [r for r in outcomes if isinstance(r, BaseException)]
        try:
            self.report(
                len(outcomes) - len(errors), len(errors), errors[0] if errors else None, seconds
            )
        except Exception:  # metrics must never hold events back
            log.exception("relay report failed")


def _stream_id(entry_id: bytes) -> tuple[int, int]:
    ms, _, seq = entry_id.partition(b"-")
    return int(ms), int(seq)


# Take or renew the lease if free or ours.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
