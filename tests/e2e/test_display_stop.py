"""A display stopped with SIGTERM (docker stop, a deploy) ends its board streams cleanly.

A board stream never ends by itself: uvicorn waited `timeout_graceful_shutdown` (3 s) for them,
then cancelled each, cutting the response and logging a traceback per board (six in one CI
run's logs). The display now ends every stream as it begins to stop (Hub.close)."""

import asyncio
import signal
import time
from typing import Any

import httpx
import pytest

from tests.support.processes import hall_services

pytestmark = pytest.mark.e2e
BOARDS = 3


async def _board(http: httpx.AsyncClient, connected: asyncio.Event, n: list[int]) -> str:
    """Read a board's stream to its end: 'clean' if the response was complete."""
    async with http.stream("GET", "/api/v1/board/stream") as stream:
        try:
            async for line in stream.aiter_lines():
                if line == "event: snapshot":
                    n[0] += 1
                    if n[0] == BOARDS:
                        connected.set()
        except httpx.RemoteProtocolError as exc:  # the response was cut, not finished
            return f"cut: {exc}"
    return "clean"


async def test_sigterm_ends_every_board_stream_cleanly_and_the_display_stops_by_itself(
    new_topic: Any, site_id: str
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    display = hall_services(topic, dlq, site_id)["display"]
    display.start()
    log_from = display.log_path.stat().st_size
    try:
        connected, n = asyncio.Event(), [0]
        async with httpx.AsyncClient(base_url=display.url, timeout=30) as http:
            boards = [asyncio.create_task(_board(http, connected, n)) for _ in range(BOARDS)]
            await asyncio.wait_for(connected.wait(), 15)
            assert display.proc is not None
            t0 = time.monotonic()
            display.proc.terminate()
            ends = await asyncio.wait_for(asyncio.gather(*boards), 30)
            streams_s = time.monotonic() - t0
            code = await asyncio.to_thread(display.proc.wait, 30)
            exit_s = time.monotonic() - t0
        print(f"SIGTERM -> streams ended {streams_s:.2f} s, process exited {exit_s:.2f} s")
        assert ends == ["clean"] * BOARDS
        # uvicorn stops gracefully, then raises the signal it caught again (its exit status
        # says SIGTERM, as a process supervisor expects); never our SIGKILL of the finally.
        assert code == -signal.SIGTERM, code
        log = display.log_path.read_bytes()[log_from:].decode("utf-8", "replace")
        assert "Traceback" not in log and "timeout graceful shutdown exceeded" not in log, log
        assert f"stopping: {BOARDS} board streams ended" in log
    finally:
        display.kill()
