"""The ticketing app factory: HTTP API, outbox relay to Kafka, metrics."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from antre_contracts import Catalog, PhoneCipher, load_catalog
from fastapi import FastAPI

from ticketing import metrics, web
from ticketing.api import catalog, counters, ops, problems, tickets
from ticketing.api.deps import Runtime
from ticketing.api.guards import BodyLimit, RateLimit
from ticketing.config import Settings
from ticketing.domain.clock import Clock, SystemClock
from ticketing.kafka import KafkaLink
from ticketing.relay import OutboxRelay
from ticketing.store.queues import QueueStore

log = logging.getLogger(__name__)


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """Build the app; clients are made in the lifespan, never at import."""
    catalog_ = load_catalog(settings.catalog_path)
    site = settings.site_id or catalog_.site.id
    metrics.prime(catalog_)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # More requests at once than connections: they wait for one (redis-py's default pool
        # raises "Too many connections" past 100, a 500 for the kiosk in a morning rush).
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=settings.redis_connections,
            timeout=10,
            socket_timeout=5,
        )
        redis = aioredis.Redis.from_pool(pool)  # aclose() closes the pool too
        store = QueueStore(redis, catalog_, site, clock or SystemClock())
        await store.load()
        kafka = KafkaLink(settings)
        kafka.start()
        relay = OutboxRelay(
            redis,
            store.outbox,
            kafka.publish,
            batch=settings.relay_batch,
            report=kafka.metrics.batch,
        )
        relay.start()
        officers = {o.token_sha256: o for o in catalog_.officers}
        app.state.runtime = Runtime(catalog_, store, officers, settings.enforce_hours)
        app.state.redis, app.state.kafka, app.state.relay = redis, kafka, relay
        stopping = asyncio.Event()
        gauges = asyncio.create_task(_refresh_gauges(store, catalog_, stopping))
        # What start-up made lives as long as the process: keep it out of the collector's
        # generations, whose full passes showed as call-next latency spikes.
        gc.freeze()
        try:
            yield
        finally:
            stopping.set()
            gauges.cancel()
            await asyncio.wait({gauges}, timeout=2.0)
            await relay.stop()
            await kafka.stop()
            await redis.aclose()

    app = FastAPI(
        title="Antre ticketing",
        version="0.1.0",
        description="Tickets, queues and counters of a Mal Pelayanan Publik.",
        lifespan=lifespan,
    )
    _document_officer_token(app)
    app.state.settings = settings
    app.state.cipher = PhoneCipher(settings.phone_key)
    app.state.rate_limit = RateLimit(settings.issue_rate_per_minute)
    problems.install(app)
    for module in (tickets, counters, catalog, ops, web):
        app.include_router(module.router)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app


def _document_officer_token(app: FastAPI) -> None:
    """Counter actions read the bearer token themselves; OpenAPI still says they need it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes["officerToken"] = {
                "type": "http",
                "scheme": "bearer",
                "description": "An officer's token",
            }
        return app.openapi_schema or schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _refresh_gauges(
    store: QueueStore, catalog: Catalog, stopping: asyncio.Event, every_s: float = 2.0
) -> None:
    """Queues and counters come from Redis, so the gauges are right after a restart."""
    # The flag, not only the cancel: redis-py can turn a cancel into a ConnectionError,
    # which the loop would take for Redis being away and go on forever.
    while not stopping.is_set():
        try:
            overview = await store.overview()
            for service_id, live in overview.items():
                metrics.QUEUE_LENGTH.labels(service_id).set(live["waiting"])
                metrics.OPEN_COUNTERS.labels(service_id).set(live["open"])
            states = await store.counter_states()
            for counter in catalog.counters:
                state, serving = states[counter.id]
                waiting = sum(overview[s]["waiting"] for s in counter.services if s in overview)
                metrics.COUNTER_OPEN.labels(counter.id).set(state == "open")
                metrics.COUNTER_SERVING.labels(counter.id).set(serving)
                metrics.COUNTER_QUEUE_LENGTH.labels(counter.id).set(waiting)
            metrics.QUEUE_STATE_READ.set_to_current_time()
        except Exception as exc:  # Redis away: the gauges keep their last values meanwhile
            log.warning("queue gauges not refreshed: %r", exc)
        await asyncio.sleep(every_s)
