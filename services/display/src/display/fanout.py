"""Push every board update to every board connected to this process.

The consumer group gives each replica only some partitions, yet every replica's boards must
show every call. So boards never hang off the consumer: one XREAD loop per process follows the
Redis stream the projection appends to, and hands each update to in-process board queues.
"""

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from redis.exceptions import RedisError

from display.filters import BoardFilter
from display.metrics import Metrics
from display.store import BoardStore, id_tuple

log = logging.getLogger(__name__)

Item = tuple[tuple[int, int] | None, bytes | None]
"""For one board: an update's stream id and SSE frame (None: not on this board), or a
heartbeat (no id)."""


def sse(event: str, data: Any, event_id: str | None = None) -> bytes:
    """One Server-Sent Events frame; JSON data never holds a raw newline."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"


class Board:
    """One connected board: its view and its queue of updates."""

    def __init__(self, view: BoardFilter, size: int) -> None:
        self.view = view
        self.queue: asyncio.Queue[Item] = asyncio.Queue(size)
        self.overflowed = False


class Hub:
    """The process's single reader of the board stream, fanning out to its boards."""

    def __init__(
        self, store: BoardStore, metrics: Metrics, queue_size: int, heartbeat_s: float
    ) -> None:
        self._heartbeat_s = heartbeat_s
        self._store = store
        self._metrics = metrics
        self._queue_size = queue_size
        self._boards: set[Board] = set()

    def subscribe(self, view: BoardFilter) -> Board:
        board = Board(view, self._queue_size)
        self._boards.add(board)
        self._metrics.boards.set(len(self._boards))
        return board

    def unsubscribe(self, board: Board) -> None:
        self._boards.discard(board)
        self._metrics.boards.set(len(self._boards))

    async def heartbeat(self) -> None:
        """Every few seconds each board gets a heartbeat, so a silent board knows it is cut off.

        Sent from here rather than by a timeout on each board's queue read: a timeout per read
        costs a task per update per board (asyncio.wait_for), which is most of the fan-out CPU.
        """
        while True:
            await asyncio.sleep(self._heartbeat_s)
            frame = sse("heartbeat", {"now": datetime.now(UTC).isoformat()})
            for board in list(self._boards):
                self._put(board, (None, frame))

    def _put(self, board: Board, item: Item) -> None:
        try:
            board.queue.put_nowait(item)
        except asyncio.QueueFull:
            # A board that cannot keep up is closed; it resumes from its Last-Event-ID.
            board.overflowed = True
            self._metrics.dropped.inc()

    async def run(self) -> None:
        """Follow the stream from its current end until cancelled; survive Redis outages."""
        last = await self._store.last_id()
        while True:
            try:
                entries = await self._store.read(last, block_ms=1000)
            except RedisError as exc:
                log.warning("board stream unreadable, retrying: %s", exc)
                await asyncio.sleep(0.5)
                continue
            for entry_id, update in entries:
                last = entry_id
                self._dispatch(entry_id, update)

    def _dispatch(self, entry_id: str, update: dict[str, Any]) -> None:
        frames: dict[str, bytes | None] = {}  # one encoding per distinct view, not per board
        key = id_tuple(entry_id)
        for board in list(self._boards):
            view = board.view
            if view.key not in frames:
                part = view.update(update)
                frames[view.key] = None if part is None else sse("update", part, entry_id)
            self._put(board, (key, frames[view.key]))
        call = update.get("call")
        if call is not None and call.get("sent_ms"):
            self._metrics.call_to_push.observe(max(0.0, time.time() - call["sent_ms"] / 1000))
