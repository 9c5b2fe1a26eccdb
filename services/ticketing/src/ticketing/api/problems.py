"""RFC 9457 problem details: every refusal names its rule and tells the person what to do."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from antre_contracts.problems import RETRY_AFTER_S
from antre_contracts.redis_pool import UNAVAILABLE
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ticketing import metrics
from ticketing.texts import PROBLEMS

PROBLEM_JSON = "application/problem+json"
_STANDARD = {"type", "title", "status", "detail", "instance"}


class Problem(Exception):
    """Raise with a code from texts.PROBLEMS and the fields its detail names."""

    def __init__(self, code: str, headers: dict[str, str] | None = None, **fields: Any) -> None:
        super().__init__(code)
        self.code = code
        self.fields = fields
        self.headers = headers


def problem_response(problem: Problem, instance: str) -> JSONResponse:
    status, title, detail = PROBLEMS[problem.code]
    metrics.REFUSALS.labels(problem.code).inc()
    extensions = {
        k: v for k, v in problem.fields.items() if k not in _STANDARD and isinstance(v, str | int)
    }
    body = {
        **extensions,
        "type": f"/problems/{problem.code}",
        "title": title,
        "status": status,
        "detail": detail.format_map(defaultdict(str, problem.fields)),
        "instance": instance,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=problem.headers)


def invalid_body(errors: Sequence[Any]) -> Problem:
    """The problem for a body pydantic refused: malformed JSON, or which fields are wrong."""
    code, message = _validation_message(errors)
    return Problem(code, errors=message, error=message)


def _validation_message(errors: Sequence[Any]) -> tuple[str, str]:
    if any(e.get("type") == "json_invalid" for e in errors):
        return "malformed_body", str(errors[0].get("ctx", {}).get("error", "JSON tidak valid"))
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e["loc"] if p != "body")
        parts.append(f"{where or 'isi'}: {e['msg']}")
    return "validation_error", "; ".join(parts)


def install(app: FastAPI) -> None:
    """Route every error the app can raise to a problem response."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(invalid_body(exc.errors()), request.url.path)

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        """Redis away (restarting, unreachable, too slow): 503, try again shortly."""
        retry = str(RETRY_AFTER_S)
        problem = Problem("temporarily_unavailable", {"Retry-After": retry}, retry_after=retry)
        return problem_response(problem, request.url.path)

    for error in UNAVAILABLE:
        app.add_exception_handler(error, _unavailable)

    @app.exception_handler(Exception)
    async def _failed(request: Request, exc: Exception) -> JSONResponse:
        """Anything else unexpected: still a problem, never a bare text/plain 500."""
        return problem_response(Problem("internal_error"), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        if code is None:
            body = {"type": "about:blank", "title": str(exc.detail), "status": exc.status_code}
            return JSONResponse(body, status_code=exc.status_code, media_type=PROBLEM_JSON)
        problem = Problem(code, path=request.url.path, method=request.method)
        return problem_response(problem, request.url.path)
