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


REFUSED = {
    # status: (type, title, detail in Bahasa Indonesia)
    404: ("not_found", "Not found", "Alamat {path} tidak ada."),
    405: ("method_not_allowed", "Method not allowed", "Metode {method} tidak didukung di {path}."),
    422: ("validation_error", "Invalid request", "Data tidak valid: {errors}."),
}


def refused(status: int, instance: str, **fields: str) -> dict[str, Any]:
    """The body of a request the framework refused before any route (unknown path, method,
    a query or header of the wrong type); other statuses keep their own title."""
    code, title, detail = REFUSED.get(status, ("about:blank", "Refused", "{title}"))
    return {
        "type": f"/problems/{code}" if status in REFUSED else "about:blank",
        "title": title if status in REFUSED else fields.get("title", title),
        "status": status,
        "detail": detail.format(path=instance, **fields),
        "instance": instance,
    }


def _where(error: dict[str, Any]) -> str:
    """`query.mute: Input should be a valid boolean`: never the input itself (it may be a
    phone number)."""
    return ".".join(str(p) for p in error.get("loc", ())) + f": {error.get('msg', '')}"


def install_handlers(app: Any, unavailable_detail: str, internal_detail: str) -> None:
    """Answer a Redis outage with `unavailable`, any other escaped exception with
    `internal_error`, and what the framework refuses itself (404, 405, 422 of a query) as
    problems too, on a FastAPI app. FastAPI is imported here: the contracts package itself
    does not depend on a web framework."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = "; ".join(_where(e) for e in exc.errors()[:5])
        body = refused(422, request.url.path, errors=errors)
        return JSONResponse(body, 422, media_type=PROBLEM_JSON)

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        body = refused(
            exc.status_code, request.url.path, method=request.method, title=str(exc.detail)
        )
        headers = dict(exc.headers or {})
        return JSONResponse(body, exc.status_code, headers=headers, media_type=PROBLEM_JSON)

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http)

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
