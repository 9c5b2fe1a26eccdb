"""Operations routes: liveness, readiness, metrics, the AsyncAPI document."""

import asyncio
import contextlib
from typing import Any

from antre_contracts.problems import PROBLEM_JSON, unavailable
from antre_contracts.redis_pool import ping
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from ticketing.texts import NOT_READY

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process answers."""
    return {"status": "ok"}


# The loops that need Kafka. While Kafka is away ticketing still serves: every change waits in
# the outbox and is relayed when Kafka is back. So they do not make it unready: a load balancer
# (a Kubernetes Service) must keep sending kiosks and consoles to it.
KAFKA_TASKS = frozenset({"kafka-producer", "relay"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: Redis answers and every background task works but those that wait for
    Kafka (503 names what does not: `tasks_down`). Kafka's state is in the body either way
    (`kafka`, and the relay in `tasks_down`); the outbox backlog alert covers a long outage.
    On a Redis Cluster the PING goes to the master serving the site's slot."""
    redis_ok = False
    prefix = request.app.state.runtime.store.prefix
    with contextlib.suppress(Exception):
        redis_ok = await asyncio.wait_for(ping(request.app.state.redis, prefix), 1.0)
    kafka_ok = await request.app.state.kafka.reachable()
    down = request.app.state.tasks.down()
    body: dict[str, Any] = {
        "redis": "ok" if redis_ok else "down",
        "kafka": "ok" if kafka_ok else "down",
        "tasks_down": down,
    }
    if redis_ok and not set(down) - KAFKA_TASKS:
        return JSONResponse(body)
    # Not ready is an error like any other: problem JSON, with what is missing beside it.
    problem, headers = unavailable(NOT_READY, request.url.path)
    return JSONResponse({**problem, **body}, 503, headers=headers, media_type=PROBLEM_JSON)


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus text format."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/asyncapi.json")
async def asyncapi(request: Request) -> dict[str, Any]:
    """The events ticketing publishes, as AsyncAPI 3.0."""
    spec = AsyncAPI(request.app.state.kafka.broker, title="Antre ticketing", version="0.1.0")
    doc: dict[str, Any] = spec.to_specification().to_jsonable()
    return doc
