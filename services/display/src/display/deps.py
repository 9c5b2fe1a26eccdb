"""What the routes need, built once by the app's lifespan (no module-level clients)."""

import asyncio
from dataclasses import dataclass

import redis.asyncio as aioredis
from antre_contracts import Catalog
from antre_contracts.supervise import Supervisor
from faststream.kafka import KafkaBroker
from redis.exceptions import RedisError

from display.config import Settings
from display.fanout import Hub
from display.hall import Hall
from display.metrics import Metrics
from display.store import BoardStore
from display.voice import Voice


@dataclass
class Deps:
    settings: Settings
    catalog: Catalog
    site: str
    metrics: Metrics
    broker: KafkaBroker
    redis: aioredis.Redis
    store: BoardStore
    hub: Hub
    tasks: Supervisor
    voice: Voice
    hall: Hall

    @property
    def running_text(self) -> str:
        return self.settings.running_text or self.catalog.site.running_text

    async def kafka_ok(self) -> bool:
        return await self.broker.ping(timeout=1.0)

    async def redis_ok(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self.redis.ping(), 1.0))
        except (RedisError, TimeoutError, OSError):
            return False
