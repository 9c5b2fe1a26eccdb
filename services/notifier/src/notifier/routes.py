"""HTTP routes: health, readiness, metrics, AsyncAPI."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from notifier import texts
from notifier.dlr import REFUSED
from notifier.dlr import report as dlr_report

router = APIRouter()


def _problem(
    status: int, title: str, detail: str, extra: dict[str, Any] | None = None
) -> JSONResponse:
    """An RFC 9457 problem response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(
        {**body, **(extra or {})}, status_code=status, media_type="application/problem+json"
    )


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when Kafka and Redis answer and every background task works."""
    state = request.app.state
    checks: dict[str, bool] = {}
    try:
        checks["redis"] = bool(await asyncio.wait_for(state.redis.ping(), 1.0))
    except Exception:
        checks["redis"] = False
    try:
        checks["kafka"] = bool(await state.broker.ping(timeout=2.0))
    except Exception:
        checks["kafka"] = False
    down = state.tasks.down()
    if all(checks.values()) and not down:
        return JSONResponse({"status": "ready", **checks})
    missing = ", ".join([k for k, v in checks.items() if not v] + down)
    detail = f"Not reachable or not working: {missing}"
    return _problem(503, "Notifier not ready", detail, {**checks, "tasks_down": down})


@router.get("/api/v1/kannel/dlr", include_in_schema=False)
async def kannel_dlr(request: Request) -> Response:
    """Kannel's delivery report (dlr-url): did this notice's SMS go out (README, "Once")?"""
    # Called by smsbox once per SMS: no body model, one Redis call. Nothing in a problem
    # echoes the request: a report names a notice, never a number, but it is not ours to trust.
    state = request.app.state
    if state.dlr is None:
        return _problem(404, "Delivery reports are off", texts.DLR_OFF)
    q = request.query_params
    try:
        site = bytes.fromhex(q["site"]).decode()
        notice = bytes.fromhex(q["notice"]).decode()
        status = int(q["status"])
    except (KeyError, ValueError):
        return _problem(400, "Bad delivery report", texts.DLR_MALFORMED)
    if not state.dlr.verify(site, notice, q.get("sig", "")):
        state.metrics.delivery_reports.labels(REFUSED).inc()
        return _problem(403, "Delivery report refused", texts.DLR_REFUSED)
    report = dlr_report(status)
    if report.effect != "info":
        await state.store.delivery_report(site, notice, report.effect, status)
    state.metrics.delivery_reports.labels(report.name).inc()
    return Response(b"", media_type="text/plain")


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text format."""
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/asyncapi.json")
async def asyncapi(request: Request) -> dict[str, Any]:
    """The AsyncAPI document of the notifier's subscriber."""
    doc: dict[str, Any] = request.app.state.asyncapi()
    return doc
