"""The outbox relay: publishes the Redis outbox to Kafka in order, trims only what was acked.

One replica relays a site at a time: it holds a Redis lease under a name of its own (host,
pid and a random part). The lease lasts `lease_ms` (3 s) and a loop of its own renews it every
third of that, so a long send never lets it lapse, and a relay killed with SIGKILL is replaced
by the next replica (or the restarted process) within the lease. A second relay sending for a
moment during a takeover costs nothing but copies: consumers drop them by sequence.

Sending: each batch goes to the producer, then the relay waits for every acknowledgement, up to
`delivery_timeout_s`. Acked events leave the outbox; an event that failed stays, and so do the
later events of its queue (order per queue). A failed or unanswered delivery, or a producer
that refuses to take an event for any reason but missing metadata, means the producer cannot
be trusted to get past it (see KafkaLink): it is replaced, and the relay starts again from the
head of the outbox. Events Kafka already had are sent again then; consumers apply each queue
strictly in sequence, so a copy is dropped and one sent behind a later event is held for
until its turn comes (antre_contracts.sequencing).

The outbox's size and age are read by every replica (app.py's gauges), not only the relay.
"""

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any, cast

import redis.asyncio as aioredis
from aiokafka.errors import KafkaTimeoutError
from antre_contracts.supervise import Health

from ticketing import metrics
from ticketing.kafka import KafkaLink, NotConnected

log = logging.getLogger(__name__)

Entry = tuple[bytes, dict[bytes, bytes]]
Report = Callable[[int, int, BaseException | None, float], None]
"""After each batch: (acked, not acked, the first error, seconds from first send to the end)."""


class ProducerFailed(Exception):
    """A delivery failed or was not answered: the producer is replaced."""


class OutboxRelay:
    """Relays one site's outbox while this process holds the site's lease."""

    def __init__(
        self,
        redis: aioredis.Redis,
        outbox: str,
        link: KafkaLink,
        batch: int = 500,
        lease_ms: int = 3000,
        delivery_timeout_s: float = 3.0,
        report: Report | None = None,
    ) -> None:
        self.redis = redis
        self.outbox = outbox
        self.lease = f"{outbox}:relay-lease"
        self.link = link
        self.batch = batch
        self.lease_ms = lease_ms
        self.delivery_timeout_s = delivery_timeout_s
        self.report = report
        self.owner = f"relay-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        self.leading = False
        self._last = b"0-0"

    async def hold_lease(self, health: Health) -> None:
        """Take the lease when it is free, keep it while ours (a supervised loop)."""
        while True:
            got = await self.redis.eval(_ACQUIRE, 1, self.lease, self.owner, str(self.lease_ms))
            if bool(got) != self.leading:
                log.info("outbox relay %s: %s", self.owner, "leading" if got else "standing by")
            self.leading = bool(got)
            metrics.RELAY_LEADING.set(self.leading)
            health.ok()
            await asyncio.sleep(self.lease_ms / 3000)

    async def run(self, health: Health) -> None:
        """Relay while leading (a supervised loop: a Redis error ends it, to be restarted)."""
        backoff = 0.1
        while True:
            if not self.leading or self.link.producer is None:
                health.ok()  # standing by, or waiting for the producer (its own loop says why)
                await asyncio.sleep(0.1)
                continue
            try:
                await self._drain_once()
            except ProducerFailed as exc:
                metrics.RELAY_ERRORS.inc()
                health.failing(exc)
                self.link.renew(exc)
                await asyncio.sleep(backoff)
                backoff = min(2.0, backoff * 2)
                continue
            backoff = 0.1
            health.ok()

    async def stop(self) -> None:
        """Give the lease up at once, so a successor need not wait for it to lapse."""
        self.leading = False
        await self.redis.eval(_RELEASE, 1, self.lease, self.owner)

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
            if not reply or not self.leading:
                return
            entries = cast(list[Entry], reply[0][1])
        sent_at = time.perf_counter()
        futures, refused = await self._send(entries)
        if futures:
            await asyncio.wait(futures, timeout=self.delivery_timeout_s)
        results: list[Any] = [_outcome(f) for f in futures]
        await self._trim(entries, results)
        self._report(results, time.perf_counter() - sent_at)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise ProducerFailed(f"{len(failed)} of {len(results)} not acknowledged: {failed[0]!r}")
        if refused is not None and not isinstance(refused, NotConnected | KafkaTimeoutError):
            raise ProducerFailed(f"the producer refused an event: {refused!r}")

    async def _send(self, entries: list[Entry]) -> tuple[list["asyncio.Future[Any]"], Any]:
        """Hand the entries to the producer; stop at the first it refuses (the rest waits)."""
        futures: list[asyncio.Future[Any]] = []
        for i, (_, fields) in enumerate(entries, start=1):
            if i % 25 == 0:
                await asyncio.sleep(0)  # a big batch must not hold back the HTTP requests
            try:
                futures.append(await self.link.publish(fields[b"k"], fields[b"e"]))
            except Exception as exc:  # no metadata yet, or a producer past saving
                return futures, exc
        return futures, None

    async def _trim(self, entries: list[Entry], results: list[Any]) -> None:
        """Delete what Kafka acknowledged, except what follows a failure of its own queue (or
        an event not sent at all)."""
        done: list[bytes] = []
        failed_keys: set[bytes] = set()
        for (entry_id, fields), result in zip(entries, results, strict=False):
            if isinstance(result, BaseException) or fields[b"k"] in failed_keys:
                failed_keys.add(fields[b"k"])
            else:
                done.append(entry_id)
        if done:
            await self.redis.xdel(self.outbox, *done)
            metrics.EVENTS_RELAYED.inc(len(done))
            self._last = max(self._last, done[-1], key=_stream_id)

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


def _outcome(future: "asyncio.Future[Any]") -> Any:
    if not future.done():
        # The replaced producer fails it later; nobody waits for it then, so take its error
        # here (else asyncio logs "Future exception was never retrieved" per event).
        future.add_done_callback(_retrieve)
        return TimeoutError("no acknowledgement in time")
    if future.cancelled():
        return asyncio.CancelledError()
    return future.exception() or future.result()


def _retrieve(future: "asyncio.Future[Any]") -> None:
    if not future.cancelled():
        future.exception()


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
