"""Guards in front of the routes: body size, per-client rate of the public ticket endpoint."""

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ticketing.api.problems import Problem, problem_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413 before any route parses them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(Problem("body_too_large", limit=self.limit), scope["path"])
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


class RateLimit:
    """A fixed one-minute window per client address, in memory (one web worker per site)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.window = 0
        self.counts: dict[str, int] = {}

    def check(self, client: str) -> None:
        window = int(time.monotonic() // 60)
        if window != self.window:
            self.window, self.counts = window, {}
        n = self.counts.get(client, 0) + 1
        self.counts[client] = n
        if n > self.per_minute:
            retry = str(60 - int(time.monotonic() % 60))
            raise Problem("rate_limited", headers={"Retry-After": retry}, retry_after=retry)
