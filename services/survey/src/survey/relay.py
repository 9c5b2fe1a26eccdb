"""The answers' outbox relay: each answer is written to Redis with its event in one script
(submit.lua), and this loop publishes the outbox to the answers topic, deleting an entry only
after Kafka acknowledged it. So no answer is counted without its event, and Kafka being away
never loses an answer: it waits in the outbox.

One replica relays a site at a time (a Redis lease, renewed every third of its life); one
killed is replaced within the lease. During a takeover an answer may be published twice, with
the same CloudEvent id: readers of the topic de-duplicate by it (as the tests do).
"""

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any, cast

import redis.asyncio as aioredis
from antre_contracts.supervise import Health

log = logging.getLogger(__name__)
Publish = Callable[[bytes, bytes], Awaitable[None]]
"""(key, event JSON) -> returns once Kafka acknowledged it."""


class AnswersRelay:
    def __init__(self, redis: aioredis.Redis, outbox: str, publish: Publish,
                 lease_ms: int = 3000, batch: int = 100) -> None:  # fmt: skip
        self.redis, self.outbox, self.publish = redis, outbox, publish
        self.lease, self.lease_ms, self.batch = f"{outbox}:lease", lease_ms, batch
        self.owner = f"survey-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        self.leading = False
        self.relayed = 0

    async def hold_lease(self, health: Health) -> None:
        """Take the lease when it is free, keep it while ours (a supervised loop)."""
        while True:
            got = await self.redis.eval(_ACQUIRE, 1, self.lease, self.owner, str(self.lease_ms))
            if bool(got) != self.leading:
                log.info("answers relay %s: %s", self.owner, "leading" if got else "standing by")
            self.leading = bool(got)
            health.ok()
            await asyncio.sleep(self.lease_ms / 3000)

    async def run(self, health: Health) -> None:
        """Relay while leading; a Redis or Kafka error ends it, to be restarted."""
        while True:
            if not self.leading:
                health.ok()
                await asyncio.sleep(0.1)
                continue
            entries = cast(list[Any], await self.redis.xrange(self.outbox, count=self.batch))
            if not entries:
                health.ok()
                await self.redis.xread({self.outbox: "$"}, block=500, count=1)
                continue
            for entry_id, fields in entries:
                await self.publish(fields[b"k"], fields[b"e"])  # acks=all, or it raises
                await self.redis.xdel(self.outbox, entry_id)
                self.relayed += 1
            health.ok()

    async def stop(self) -> None:
        self.leading = False
        await self.redis.eval(_RELEASE, 1, self.lease, self.owner)


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
