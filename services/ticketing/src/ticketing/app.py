"""The ticketing app factory: HTTP API, outbox relay to Kafka, metrics."""

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from antre_contracts import Catalog, PhoneCipher, load_catalog
from antre_contracts.redis_pool import redis_client
from antre_contracts.supervise import Health, Supervisor
from fastapi import FastAPI

from ticketing import metrics, web
from ticketing.api import bookings, catalog, counters, figures, ops, problems, tickets
from ticketing.api.access import Access, refuse_demo_tokens
from ticketing.api.deps import Runtime
from ticketing.api.guards import BodyLimit, JsonOnly
from ticketing.config import REPO, Settings
from ticketing.domain.clock import Clock, SystemClock
from ticketing.kafka import KafkaLink
from ticketing.relay import OutboxRelay
from ticketing.store.queues import QueueStore

log = logging.getLogger(__name__)


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """Build the app; clients are made in the lifespan, never at import."""
    catalog_ = load_catalog(settings.catalog_path)
    if settings.environment == "production":
        refuse_demo_tokens(catalog_, REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml")
    site = settings.site_id or catalog_.site.id
    metrics.prime(catalog_)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # More requests at once than connections wait for one; a Redis restart is survived
        # (antre_contracts.redis_pool); an op repeated by a retry is answered by its op id.
        redis = redis_client(settings.redis_url, settings.redis_connections)
        store = QueueStore(
            redis,
            catalog_,
            site,
            clock
            or SystemClock(settings.clock_offset_s, settings.clock_rate, settings.clock_anchor_s),
            settings.redis_wait_replicas or 0,
            settings.redis_wait_ms,
        )
        kafka = KafkaLink(settings)
        relay = OutboxRelay(
            redis,
            store.outbox,
            kafka,
            batch=settings.relay_batch,
            lease_ms=settings.relay_lease_ms,
            report=kafka.metrics.batch,
        )
        tasks = Supervisor()
        access = Access(catalog_, settings, redis, site)
        app.state.runtime = Runtime(catalog_, store, access, settings.enforce_hours)
        app.state.redis, app.state.kafka, app.state.tasks = redis, kafka, tasks
        # Nothing here waits for Redis or Kafka: ticketing starts (not ready) without them, and
        # each loop begins working once its dependency answers.
        tasks.spawn("redis-functions", store.keep_loaded)
        tasks.spawn("kafka-producer", kafka.keep_connected)
        tasks.spawn("relay-lease", relay.hold_lease)
        tasks.spawn("relay", relay.run)
        tasks.spawn("day-opener", store.keep_days_open)
        tasks.spawn("booking-expiry", store.keep_expiring_bookings)
        tasks.spawn("gauges", lambda health: _refresh_gauges(store, catalog_, health))
        # What start-up made lives as long as the process: keep it out of the collector's
        # generations, whose full passes showed as call-next latency spikes.
        gc.freeze()
        try:
            yield
        finally:
            await tasks.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(relay.stop(), 2.0)
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
    problems.install(app)
    for module in (tickets, bookings, counters, figures, catalog, ops, web):
        app.include_router(module.router)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(JsonOnly)  # outermost: a form or text body is refused before all else
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
    store: QueueStore, catalog: Catalog, health: Health, every_s: float = 2.0
) -> None:
    """Queues, counters and the outbox come from Redis, in every replica, so the gauges are
    right after a restart and whichever replica relays (a supervised loop: while Redis is away
    they keep their last values and antre_queue_state_read_timestamp_seconds stops)."""
    while True:
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
        backlog, oldest_ms = await store.outbox_state()
        metrics.OUTBOX_BACKLOG.set(backlog)
        age = 0.0 if oldest_ms is None else max(0.0, time.time() - oldest_ms / 1000)
        metrics.OUTBOX_OLDEST_AGE.set(age)
        metrics.QUEUE_STATE_READ.set_to_current_time()
        health.ok()
        await asyncio.sleep(every_s)
