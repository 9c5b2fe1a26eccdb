"""The RFC 9457 answers every service gives when something below it fails (no web framework
here: each service wraps them in its own response class).

A Redis that is away (restarting, unreachable, too slow) is `unavailable`: 503 with
`Retry-After`, which the kiosk and the console show and retry by themselves. Anything else
unexpected is `internal_error`: 500, still problem JSON, never a bare text/plain page.
"""

from typing import Any

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 2


def unavailable(detail: str, instance: str) -> tuple[dict[str, Any], dict[str, str]]:
    """(body, headers) of a 503: try again in RETRY_AFTER_S seconds."""
    body = {
        "type": "/problems/temporarily_unavailable",
        "title": "Temporarily unavailable",
        "status": 503,
        "detail": detail,
        "instance": instance,
        "retry_after": RETRY_AFTER_S,
    }
    return body, {"Retry-After": str(RETRY_AFTER_S)}


def internal_error(detail: str, instance: str) -> dict[str, Any]:
    """The body of a 500."""
    return {
        "type": "/problems/internal_error",
        "title": "Internal error",
        "status": 500,
        "detail": detail,
        "instance": instance,
    }


def install_handlers(app: Any, unavailable_detail: str, internal_detail: str) -> None:
    """Answer a Redis outage with `unavailable` and any other escaped exception with
    `internal_error`, on a Starlette (FastAPI) app. Starlette is imported here: the
    contracts package itself does not depend on a web framework."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    from antre_contracts.redis_pool import UNAVAILABLE

    async def away(request: Request, exc: Exception) -> JSONResponse:
        body, headers = unavailable(unavailable_detail, request.url.path)
        return JSONResponse(body, 503, headers=headers, media_type=PROBLEM_JSON)

    async def failed(request: Request, exc: Exception) -> JSONResponse:
        body = internal_error(internal_detail, request.url.path)
        return JSONResponse(body, 500, media_type=PROBLEM_JSON)

    for error in UNAVAILABLE:
        app.add_exception_handler(error, away)
    app.add_exception_handler(Exception, failed)
