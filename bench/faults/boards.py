"""What the fault run watches from outside: hall boards (SSE clients that behave like board.js)
and the SMS that reach fakesmsc, each with the time it was seen."""

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from tests.integration.notifier.helpers import FAKESMSC_LOG

_GOT = re.compile(r"Got message \d+: <(\S+) (\S+) text (.*)>$")


@dataclass
class Call:
    seen: float  # time.monotonic() when the board got it
    number: str  # boards carry numbers only
    at: str  # the call's own time: a recall is another call, at another time
    recall: bool
    entry: str = ""  # the SSE id: the board stream's entry


@dataclass
class Board:
    """One hall board: snapshot, then updates; reconnects with Last-Event-ID like the page."""

    url: str
    name: str
    calls: list[Call] = field(default_factory=list)
    counters: dict[str, dict[str, Any]] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)
    recent: list[dict[str, Any]] = field(default_factory=list)
    last_id: str | None = None
    connects: int = 0
    bare_5xx: list[str] = field(default_factory=list)

    async def run(self) -> None:
        """Until cancelled: connect, follow, and come back a second after any loss."""
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=20.0)) as http:
            while True:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    await self._follow(http)
                await asyncio.sleep(1.0)

    async def _follow(self, http: httpx.AsyncClient) -> None:
        params = {"resume": self.last_id} if self.last_id else {}
        async with http.stream("GET", self.url + "/api/v1/board/stream", params=params) as r:
            if r.status_code >= 500 and "problem+json" not in r.headers.get("content-type", ""):
                self.bare_5xx.append(f"stream {r.status_code}")
            if r.status_code != 200:
                return
            self.connects += 1
            fields: dict[str, str] = {}
            async for line in r.aiter_lines():
                if line:
                    name, _, value = line.partition(": ")
                    fields[name] = value
                    continue
                if "data" in fields:
                    self._take(
                        fields.get("event", ""), orjson.loads(fields["data"]), fields.get("id")
                    )
                    if fields.get("id"):
                        self.last_id = fields["id"]
                fields = {}

    def _take(self, event: str, data: dict[str, Any], entry: str | None = None) -> None:
        if event == "snapshot":
            self.counters = {c["id"]: c for c in data["counters"]}
            self.waiting = {s["id"]: s["waiting"] for s in data["services"]}
            self.recent = data["recent"]
        elif event == "update":
            if "counter" in data:
                known = self.counters.get(data["counter"]["id"], {})
                self.counters[data["counter"]["id"]] = {**known, **data["counter"]}
                self.counters[data["counter"]["id"]].setdefault("ticket", None)
            self.waiting.update(data.get("waiting") or {})
            if "recent" in data:
                self.recent = data["recent"] if isinstance(data["recent"], list) else []
            call = data.get("call")
            if call:
                self.calls.append(
                    Call(time.monotonic(), call["number"], call["at"],
                         call["recall"], entry or "")
                )  # fmt: skip
                kept = [c for c in self.recent if c["number"] != call["number"]]
                # Newest first, one millisecond's calls by number (as the display and board.js)
                by_number = sorted([call, *kept], key=lambda c: c["number"])
                self.recent = sorted(by_number, key=lambda c: c["at"], reverse=True)[:10]


@dataclass
class Sms:
    at: float
    to: str
    text: str


class SmsWatch:
    """Every SMS fakesmsc receives from now on, read from its log as it grows."""

    def __init__(self) -> None:
        self.offset = FAKESMSC_LOG.stat().st_size if FAKESMSC_LOG.exists() else 0
        self.seen: list[Sms] = []

    async def run(self) -> None:
        while True:
            chunk = await asyncio.to_thread(self._read)
            end = chunk.rfind(b"\n") + 1
            self.offset += end
            now = time.monotonic()
            for line in chunk[:end].decode("utf-8", "replace").splitlines():
                m = _GOT.search(line)
                if m:
                    self.seen.append(Sms(now, m.group(2), m.group(3)))
            await asyncio.sleep(0.1)

    def _read(self) -> bytes:
        with open(FAKESMSC_LOG, "rb") as f:
            f.seek(self.offset)
            return f.read()
