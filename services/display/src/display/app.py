"""The display app: Kafka consumer, board projection, fan-out and HTTP routes in one process."""

import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources

from antre_contracts import load_catalog
from antre_contracts.commits import Committer
from antre_contracts.consuming import keep_consuming
from antre_contracts.lag import LagProbe
from antre_contracts.problems import install_handlers
from antre_contracts.redis_pool import redis_client
from antre_contracts.supervise import Supervisor
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.specification import AsyncAPI
from faststream.specification.asyncapi.site import get_asyncapi_html

from display import problems, texts
from display.config import Settings
from display.deps import Deps
from display.fanout import Hub
from display.filters import UnknownFilter
from display.hall import load_hall
from display.hall_routes import router as hall_router
from display.handlers import build_router
from display.metrics import Metrics
from display.routes import router
from display.store import BoardStore
from display.voice import build_voice


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its lifespan connects Redis and Kafka and starts the board fan-out."""
    settings = settings or Settings()
    catalog = load_catalog(settings.catalog_path)
    site = settings.site_id or catalog.site.id
    hall = load_hall(settings.hall_file(), catalog)  # HallContentError: refuses to start
    metrics = Metrics()
    broker = KafkaBroker(
        settings.kafka_bootstrap.split(","),  # FastStream takes a str as one host
        acks="all",
        enable_idempotence=True,
        log_level=logging.DEBUG,  # a line per message at 200 calls/s is noise, not a log
        middlewares=[KafkaPrometheusMiddleware(registry=metrics.registry, app_name="display")],
    )
    spec = AsyncAPI(broker, title="Antre display", version="0.1.0")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Boards reconnecting together each read a snapshot: they wait for a pooled connection.
        redis = redis_client(settings.redis_url, settings.redis_connections)
        store = BoardStore(redis, site, settings.recent_calls, settings.stream_maxlen)
        hub = Hub(store, metrics, settings.client_queue, settings.heartbeat_s, settings.max_boards)
        committer = Committer(settings.commit_interval_ms / 1000)
        tasks = Supervisor(metrics.registry)
        router, subscriber = build_router(
            settings, site, store, metrics, committer, broker.context, tasks.part("applying")
        )
        broker.include_router(router)
        voice = build_voice(settings, metrics)
        app.state.deps = Deps(
            settings, catalog, site, metrics, broker, redis, store, hub, tasks, voice, hall
        )
        lag = LagProbe(
            settings.kafka_bootstrap, settings.group_id, [settings.topic], metrics.registry
        )
        # Nothing here waits for Kafka or Redis: the display starts (not ready) without them
        # and each loop begins working once its dependency answers.
        tasks.spawn("consuming", lambda health: keep_consuming(broker, subscriber, health))
        tasks.spawn("fan-out", hub.run)
        tasks.spawn("heartbeat", hub.heartbeat)
        tasks.spawn("consumer-lag", lag.run)
        try:
            yield
        finally:
            await tasks.stop()
            await committer.stop()
            await broker.stop()
            await redis.aclose()

    app = FastAPI(title="Antre display", version="0.1.0", lifespan=lifespan)
    install_handlers(app, texts.UNAVAILABLE, texts.INTERNAL_ERROR)
    app.include_router(router)
    app.include_router(hall_router)
    static = resources.files("display").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.exception_handler(UnknownFilter)
    async def unknown_filter(request: Request, exc: UnknownFilter) -> JSONResponse:
        """A zone or service that is not in the catalog: RFC 9457 problem JSON."""
        return problems.unknown_filter(str(exc), request.url.path)

    @app.get("/asyncapi", response_class=HTMLResponse, include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        """The AsyncAPI document of the display's subscriber and publisher, rendered."""
        return HTMLResponse(get_asyncapi_html(spec.to_specification()))

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> Response:
        """The AsyncAPI document as JSON."""
        return Response(spec.to_specification().to_json(), media_type="application/json")

    return app
