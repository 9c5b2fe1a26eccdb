"""A board's Server-Sent Events response: its first frames, then its queue, every write taken
by the client within the send timeout, or the board is dropped.

uvicorn's `send` waits while the client's TCP window is shut (flow control). A client that
stops reading would hold its board, its queue and its socket for as long as it likes, and a
StreamingResponse cannot end that: its generator waits inside the `yield` with the write. So
this response hands its parent a `send` that gives up after `send_timeout_s`.
"""

import asyncio
from collections.abc import AsyncGenerator

from starlette.responses import StreamingResponse
from starlette.types import Message, Send

from display.fanout import Board, Hub

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class _Stalled(Exception):
    """The client took no write within the send timeout."""


class BoardStream(StreamingResponse):
    """The stream of one subscribed board; the board is unsubscribed when it ends."""

    def __init__(
        self, hub: Hub, board: Board, first: bytes, sent: tuple[int, int], send_timeout_s: float
    ) -> None:
        self._hub, self._board, self._send_timeout_s = hub, board, send_timeout_s
        self._frames = _frames(hub, board, first, sent)
        super().__init__(self._frames, media_type="text/event-stream", headers=HEADERS)

    async def stream_response(self, send: Send) -> None:
        async def timed(message: Message) -> None:
            try:
                async with asyncio.timeout(self._send_timeout_s):
                    await send(message)
            except TimeoutError:
                raise _Stalled from None

        try:
            await super().stream_response(timed)
        except _Stalled:
            # The response is left unfinished: uvicorn closes the connection (and logs that
            # the response was not completed). The page reconnects with Last-Event-ID.
            self._hub.drop(self._board, "send_timeout")
        finally:
            await self._frames.aclose()


async def _frames(
    hub: Hub, board: Board, first: bytes, sent: tuple[int, int]
) -> AsyncGenerator[bytes, None]:
    """The first frames, then each update once (the catch-up may already have sent it),
    whatever is queued together in one write; ends when the hub drops the board."""
    try:
        yield b"retry: 1000\n\n" + first
        while board.dropped is None:
            key, frame = await board.queue.get()
            chunk = []
            while True:
                if key is None or (key > sent and frame is not None):
                    chunk.append(frame or b"")
                if key is not None:
                    sent = max(sent, key)
                if board.queue.empty():
                    break
                key, frame = board.queue.get_nowait()
            if chunk:
                yield b"".join(chunk)
    finally:
        hub.unsubscribe(board)
