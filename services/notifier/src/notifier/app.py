"""The notifier app: FastAPI for HTTP, a FastStream KafkaBroker for events, the sender loop."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import orjson
from antre_contracts.catalog import load_catalog
from antre_contracts.commits import Committer
from antre_contracts.consuming import keep_consuming
from antre_contracts.lag import LagProbe
from antre_contracts.phone import PhoneCipher
from antre_contracts.problems import install_handlers
from antre_contracts.redis_pool import redis_client
from antre_contracts.supervise import Health, Supervisor
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.specification import AsyncAPI
from faststream.specification.asyncapi.site import get_asyncapi_html
from prometheus_client import CollectorRegistry

from notifier.config import Settings
from notifier.dlr import DlrSigner
from notifier.gateways import build_gateway
from notifier.handlers import Deps, build_router, dead_letter_headers
from notifier.metrics import Metrics
from notifier.notices import Rules
from notifier.routes import router
from notifier.sender import Sender
from notifier.store import NotifierStore
from notifier.texts import INTERNAL_ERROR, KINDS, UNAVAILABLE, Templates

LOCAL_SURVEY = "http://127.0.0.1:8004/s/{ticket_id}"
"""Antre's survey page (services/survey) as `make up` runs it."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts."""
    s = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry = CollectorRegistry()
        metrics = Metrics(registry)
        catalog = load_catalog(s.catalog_path)
        cipher = PhoneCipher(s.phone_key)
        # A burst has every gateway slot, delivery report and consumer batch on Redis at once:
        # callers wait for a pooled connection. redis-py's default pool (100) raises instead,
        # which failed delivery reports (Kannel then retried them) and left SMS in doubt.
        redis = redis_client(s.redis_url, s.redis_connections)
        store = NotifierStore(redis, s.group_id)
        broker = KafkaBroker(
            s.kafka_bootstrap.split(","),  # FastStream takes a str as one host
            acks="all",
            log_level=logging.DEBUG,  # "Received"/"Processed" per message: too chatty at INFO
            enable_idempotence=True,
            middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name="notifier")],
        )

        async def publish_dead_letter(raw: bytes, key: bytes | None, reason: str) -> None:
            await broker.publish(
                raw, topic=s.dead_letter_topic, key=key, headers=dead_letter_headers(reason)
            )

        async def dead_letter_notice(record: dict[str, Any], reason: str) -> None:
            await publish_dead_letter(orjson.dumps(record), record["ticket_id"].encode(), reason)

        gateway = build_gateway(s)
        metrics.prime(KINDS, gateway.name)
        sender = Sender(
            s, store, gateway, Templates(s.templates_path), catalog, cipher, metrics,
            dead_letter_notice,
        )  # fmt: skip
        rules = Rules(
            near_turn_for=s.near_turn_for,
            tz=catalog.site.tz,
            tz_label=catalog.site.timezone_label,
            survey_url=(s.survey_url or catalog.site.survey_url or LOCAL_SURVEY)
            if s.survey_enabled
            else None,
            checkin_early=timedelta(minutes=catalog.booking.checkin_early_minutes),
            checkin_grace=timedelta(minutes=catalog.booking.checkin_grace_minutes),
        )
        deps = Deps(s, store, cipher, rules, metrics, sender.wake, publish_dead_letter)
        committer = Committer(s.commit_interval_ms / 1000)
        tasks = Supervisor(registry)
        router, subscriber = build_router(deps, broker.context, committer, tasks.part("recording"))
        broker.include_router(router)
        spec = AsyncAPI(broker, title="Antre notifier", version="0.1.0")
        dlr = DlrSigner(s.dlr_secret) if s.in_doubt == "dlr" else None
        app.state.__dict__.update(
            registry=registry, redis=redis, broker=broker, store=store, tasks=tasks,
            metrics=metrics, dlr=dlr,
            asyncapi=lambda: spec.to_specification().to_jsonable(),
            asyncapi_html=lambda: get_asyncapi_html(spec.to_specification()),
        )  # fmt: skip
        lag = LagProbe(s.kafka_bootstrap, s.group_id, [s.topic], registry, s.gauges_every_s)
        # Nothing here waits for Kafka or Redis: the notifier starts (not ready) without them
        # and each loop begins working once its dependency answers.
        tasks.spawn("consuming", lambda health: keep_consuming(broker, subscriber, health))
        tasks.spawn("sending", sender.run)
        tasks.spawn("consumer-lag", lag.run)
        tasks.spawn(
            "outbox-backlog",
            lambda health: _refresh_backlog(store, metrics, s.gauges_every_s, health),
        )
        try:
            yield
        finally:
            await tasks.stop()  # consuming first: what was not committed comes again
            await committer.stop()
            await broker.stop()
            await sender.drain()
            await gateway.aclose()
            await redis.aclose()

    app = FastAPI(title="Antre notifier", version="0.1.0", lifespan=lifespan)
    install_handlers(app, UNAVAILABLE, INTERNAL_ERROR)
    app.include_router(router)

    @app.get("/asyncapi", response_class=HTMLResponse)
    async def asyncapi_page() -> str:
        """The AsyncAPI document, rendered."""
        html: str = app.state.asyncapi_html()
        return html

    return app


async def _refresh_backlog(
    store: NotifierStore, metrics: Metrics, every_s: float, health: Health
) -> None:
    """The outbox backlog comes from Redis, so it is right after a restart too."""
    while True:
        metrics.outbox_backlog.set(await store.backlog())
        health.ok()
        await asyncio.sleep(every_s)
