"""A generic HTTP SMS gateway: URL, method, body template and one auth header from settings."""

import asyncio
from collections.abc import Awaitable
from urllib.parse import quote

import httpx
import orjson

from notifier.config import Settings
from notifier.gateways import GatewayError, Slots

# Raised before any byte of the request left: safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class HttpGateway:
    name = "http"

    def __init__(self, settings: Settings) -> None:
        self._s = settings
        headers = {"Content-Type": settings.http_content_type}
        if settings.http_auth_header:
            name, _, value = settings.http_auth_header.partition(":")
            headers[name.strip()] = value.strip()
        self._client = httpx.AsyncClient(headers=headers, timeout=settings.gateway_timeout_s)
        self._slots = Slots(settings.http_connections)

    def free(self) -> int:
        return self._slots.free()

    async def wait_free(self) -> None:
        await self._slots.wait_free()

    def body(self, to: str, text: str) -> str:
        return self._s.http_body_template.format(
            to=to,
            text=text,
            to_json=orjson.dumps(to).decode(),
            text_json=orjson.dumps(text).decode(),
            to_url=quote(to),
            text_url=quote(text),
        )

    def submit(self, to: str, text: str, site: str, notice_id: str) -> Awaitable[None]:
        self._slots.take()
        task = asyncio.ensure_future(self._send(to, text))
        task.add_done_callback(lambda _: self._slots.give())
        return task

    async def _send(self, to: str, text: str) -> None:
        try:
            r = await self._client.request(
                self._s.http_method, self._s.http_url, content=self.body(to, text).encode()
            )
        except _NOT_SENT as exc:  # no connection: the gateway never saw the request
            raise GatewayError(f"gateway unreachable: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            # Sent (or partly), then no answer: the gateway may have taken the SMS. Only the
            # sender's in-doubt policy may send it again (default for this provider: never).
            raise GatewayError(
                f"no answer from the gateway: {type(exc).__name__}", written=True
            ) from exc
        if r.status_code == 504:  # a proxy gave up waiting for the gateway, which may have it
            raise GatewayError("gateway answered 504: it may have taken the SMS", written=True)
        if r.status_code >= 300:
            retryable = r.status_code >= 500 or r.status_code in (408, 429)
            raise GatewayError(f"gateway answered {r.status_code}: {r.text[:80]}", retryable)

    async def aclose(self) -> None:
        await self._client.aclose()
