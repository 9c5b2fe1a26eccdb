"""Kannel's HTTP sendsms, over a small pool of keep-alive HTTP/1.1 connections.

Why not httpx: `submit` writes the request to the socket before it returns, with no await
between the Redis claim and the write. A crash then leaves as few notices as possible
claimed-but-never-written (see README, "Once").
"""

import asyncio
from collections.abc import Awaitable
from urllib.parse import urlencode, urlsplit

from notifier.config import Settings
from notifier.dlr import DlrSigner
from notifier.gateways import GatewayError, Slots

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class KannelGateway:
    name = "kannel"

    def __init__(self, settings: Settings) -> None:
        u = urlsplit(settings.kannel_url)
        self._host, self._port = u.hostname or "127.0.0.1", u.port or 80
        self._path = u.path or "/cgi-bin/sendsms"
        self._auth = {
            "username": settings.kannel_username,
            "password": settings.kannel_password,
            "from": settings.kannel_sender,
            "charset": "UTF-8",
            "coding": "0",
        }
        # Delivery reports tell a restarted notifier which in-doubt SMS Kannel had (README,
        # "Once"). Site and notice id go hex-encoded (Kannel expands '%' escapes in dlr-url),
        # with their signature: only a report from this URL is believed.
        self._dlr = (
            (
                settings.dlr_mask,
                settings.public_url.rstrip("/") + "/api/v1/kannel/dlr",
                DlrSigner(settings.dlr_secret),
            )
            if settings.in_doubt == "dlr"
            else None
        )
        self._timeout = settings.gateway_timeout_s
        self._idle: list[Conn] = []
        self._slots = Slots(settings.kannel_connections)

    def free(self) -> int:
        return self._slots.free()

    async def wait_free(self) -> None:
        await self._slots.wait_free()

    def request(self, to: str, text: str, site: str = "", notice_id: str = "") -> bytes:
        params = {**self._auth, "to": to, "text": text}
        if self._dlr is not None:
            mask, url, signer = self._dlr
            ref = (
                f"site={site.encode().hex()}&notice={notice_id.encode().hex()}"
                f"&sig={signer.sign(site, notice_id)}"
            )
            params["dlr-mask"] = str(mask)
            params["dlr-url"] = f"{url}?{ref}&status=%d"
        query = urlencode(params)
        return (
            f"GET {self._path}?{query} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            "Connection: keep-alive\r\n\r\n"
        ).encode()

    def submit(self, to: str, text: str, site: str, notice_id: str) -> Awaitable[None]:
        self._slots.take()
        req = self.request(to, text, site, notice_id)
        conn = None
        while self._idle and conn is None:
            r, w = self._idle.pop()
            if not w.is_closing() and not r.at_eof():
                w.write(req)  # before any await: the request is on its way
                conn = (r, w)
            else:
                w.close()
        task = asyncio.ensure_future(self._exchange(req, conn))
        task.add_done_callback(lambda _: self._slots.give())
        return task

    async def _exchange(self, req: bytes, conn: Conn | None) -> None:
        written = conn is not None  # submit() wrote it on a kept-alive connection
        try:
            async with asyncio.timeout(self._timeout):
                if conn is not None:
                    try:
                        return await self._read(conn)
                    except _Stale:
                        written = False  # the server had closed the idle connection unread
                conn = await asyncio.open_connection(self._host, self._port)
                conn[1].write(req)
                written = True
                return await self._read(conn)
        except TimeoutError:
            _close(conn)
            raise GatewayError("Kannel did not answer in time", written=written) from None
        except _Stale:
            raise GatewayError("Kannel closed the connection", written=written) from None
        except OSError as exc:
            _close(conn)
            raise GatewayError(
                f"Kannel unreachable: {exc.strerror or type(exc).__name__}", written=written
            ) from None

    async def _read(self, conn: Conn) -> None:
        reader, writer = conn
        status_line = await reader.readline()
        if not status_line:
            writer.close()
            raise _Stale
        length, keep = 0, True
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                keep = False
        body = await reader.readexactly(length) if length else b""
        if keep:
            self._idle.append(conn)
        else:
            writer.close()
        status = int(status_line.split()[1])
        if status >= 300:
            text = body.decode("utf-8", "replace")[:80]
            # 503/5xx: bearerbox down or queue full, try later; 4xx: our request is wrong.
            raise GatewayError(f"Kannel answered {status}: {text}", retryable=status >= 500)

    async def aclose(self) -> None:
        for _, w in self._idle:
            w.close()
        self._idle.clear()


class _Stale(Exception):
    pass


def _close(conn: Conn | None) -> None:
    if conn is not None:
        conn[1].close()
