"""The survey app: FastAPI for the pages and API, a FastStream KafkaBroker for the served
tickets it consumes and the answers it publishes (through its outbox relay)."""

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from antre_contracts.catalog import load_catalog
from antre_contracts.commits import Committer
from antre_contracts.consuming import keep_consuming
from antre_contracts.lag import LagProbe
from antre_contracts.problems import install_handlers
from antre_contracts.redis_pool import redis_client
from antre_contracts.supervise import Health, Supervisor
from antre_contracts.survey import SurveySubmitted
from antre_contracts.topics import DLQ_CONSUMER_HEADER, DLQ_REASON_HEADER
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.specification import AsyncAPI
from faststream.specification.asyncapi.site import get_asyncapi_html
from prometheus_client import CollectorRegistry

from survey import api
from survey.config import REPO, Settings
from survey.handlers import Deps, build_router
from survey.metrics import Metrics
from survey.relay import AnswersRelay
from survey.store import SurveyStore
from survey.web import pages, texts

DEMO_TABLETS = {hashlib.sha256(f"demo-tablet-{i:02d}".encode()).hexdigest() for i in range(1, 100)}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts."""
    s = settings or Settings()
    catalog = load_catalog(s.catalog_path)
    site = s.site_id or catalog.site.id
    if s.environment == "production":
        _refuse_demo_tablets(catalog)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry = CollectorRegistry()
        metrics = Metrics(registry)
        metrics.prime(catalog)
        redis = redis_client(s.redis_url, s.redis_connections)
        store = SurveyStore(redis, site)
        broker = KafkaBroker(
            s.kafka_bootstrap.split(","),  # FastStream takes a str as one host
            acks="all",
            enable_idempotence=True,
            log_level=logging.DEBUG,
            middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name="survey")],
        )
        answers = broker.publisher(
            s.answers_topic,
            title=f"{s.answers_topic}:publish",
            description="Every answer to the survey (CloudEvent antre.survey.submitted), keyed"
            " by `<site>:<agency>`; retention unlimited: the audit record",
            schema=SurveySubmitted,
        )

        async def publish_answer(key: bytes, event: bytes) -> None:
            await answers.publish(
                event, key=key, headers={"content-type": "application/cloudevents+json"}
            )

        async def dead_letter(raw: bytes, key: bytes | None, reason: str) -> None:
            headers = {DLQ_REASON_HEADER: reason[:500], DLQ_CONSUMER_HEADER: "survey"}
            await broker.publish(raw, topic=s.dead_letter_topic, key=key, headers=headers)

        tasks = Supervisor(registry)
        committer = Committer(s.commit_interval_ms / 1000)
        deps = Deps(s, catalog, site, store, metrics, dead_letter)
        router, subscriber = build_router(deps, broker.context, committer, tasks.part("recording"))
        broker.include_router(router)
        relay = AnswersRelay(redis, store.outbox, publish_answer, s.relay_lease_ms)
        spec = AsyncAPI(broker, title="Antre survey", version="0.1.0")
        app.state.__dict__.update(
            settings=s, catalog=catalog, site=site, registry=registry, redis=redis,
            broker=broker, store=store, tasks=tasks, metrics=metrics,
            tablets={t.token_sha256: t for t in catalog.tablets},
            wake_relay=lambda: None,
            asyncapi=lambda: spec.to_specification().to_jsonable(),
            asyncapi_html=lambda: get_asyncapi_html(spec.to_specification()),
        )  # fmt: skip
        lag = LagProbe(s.kafka_bootstrap, s.group_id, [s.topic], registry, s.gauges_every_s)
        # Nothing here waits for Kafka or Redis: the survey starts (not ready) without them.
        tasks.spawn("consuming", lambda health: keep_consuming(broker, subscriber, health))
        tasks.spawn("relay-lease", relay.hold_lease)
        tasks.spawn("relay", lambda health: _relay(broker, relay, health))
        tasks.spawn("consumer-lag", lag.run)
        tasks.spawn(
            "outbox-backlog", lambda health: _backlog(store, metrics, s.gauges_every_s, health)
        )
        try:
            yield
        finally:
            await tasks.stop()
            await committer.stop()
            with contextlib.suppress(Exception):  # Redis away: the lease lapses by itself
                await relay.stop()
            await broker.stop()
            await redis.aclose()

    app = FastAPI(
        title="Antre survey",
        version="0.1.0",
        description="The satisfaction survey (SKM) of PermenPAN-RB 14/2017: served tickets"
        " answer once, at the counter's tablet or by phone; the IKM per period, agency and"
        " service.",
        lifespan=lifespan,
    )
    install_handlers(app, texts.UNAVAILABLE, texts.INTERNAL_ERROR)

    @app.exception_handler(api.Problem)
    async def problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, api.Problem)
        return exc.response(request.url.path)

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")

    @app.get("/asyncapi", response_class=HTMLResponse, include_in_schema=False)
    async def asyncapi_page() -> str:
        html: str = app.state.asyncapi_html()
        return html

    return app


async def _relay(broker: KafkaBroker, relay: AnswersRelay, health: Health) -> None:
    """The relay publishes through the broker, which the consuming task starts (and starts
    again after an outage): wait for it."""
    while not broker.running:
        health.ok()
        await asyncio.sleep(0.2)
    await relay.run(health)


async def _backlog(store: SurveyStore, metrics: Metrics, every_s: float, health: Health) -> None:
    while True:
        metrics.outbox_backlog.set(await store.backlog())
        health.ok()
        await asyncio.sleep(every_s)


def _refuse_demo_tablets(catalog: object) -> None:
    from antre_contracts import Catalog

    assert isinstance(catalog, Catalog)
    shipped = load_catalog(REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml")
    demo = DEMO_TABLETS | {t.token_sha256 for t in shipped.tablets}
    found = [t.id for t in catalog.tablets if t.token_sha256 in demo]
    if found:
        raise SystemExit(
            f"refusing to start in production: demo tablet tokens in the catalog"
            f" ({', '.join(found)}); make new ones with: python -m ticketing.tokens tablet <id>"
        )
