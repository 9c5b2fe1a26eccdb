"""Push every board update to every board connected to this process.

The consumer group gives each replica only some partitions, yet every replica's boards must
show every call. So boards never hang off the consumer: one XREAD loop per process follows the
Redis stream the projection appends to, and hands each update to in-process board queues.
"""

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from antre_contracts.supervise import Health

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
        self.dropped: str | None = None
        """Why the hub let the board go ("overflow", "send_timeout", or "shutdown": the process
        stops); None while served."""


class Hub:
    """The process's single reader of the board stream, fanning out to its boards."""

    def __init__(
        self,
        store: BoardStore,
        metrics: Metrics,
        queue_size: int,
        heartbeat_s: float,
        max_boards: int,
    ) -> None:
        self._heartbeat_s = heartbeat_s
        self._store = store
        self._metrics = metrics
        self._queue_size = queue_size
        self._max_boards = max_boards
        self._boards: set[Board] = set()
        self._last: str | None = None  # the last update handed to the boards
        self._reading: Health | None = None

    def subscribe(self, view: BoardFilter) -> Board | None:
        """A new board, or None when the process already serves its maximum: each board holds
        a socket and a queue, so boards without end would exhaust memory or descriptors."""
        if len(self._boards) >= self._max_boards:
            self._metrics.refused.inc()
            return None
        board = Board(view, self._queue_size)
        self._boards.add(board)
        self._metrics.boards.set(len(self._boards))
        return board

    def unsubscribe(self, board: Board) -> None:
        self._boards.discard(board)
        self._metrics.boards.set(len(self._boards))

    def drop(self, board: Board, reason: str) -> None:
        """Let a board go: it gets nothing more and its stream ends (the page resumes by
        Last-Event-ID). Counted once, however many updates it would have missed after."""
        if board.dropped is not None:
            return
        board.dropped = reason
        self._metrics.dropped.labels(reason).inc()
        self.unsubscribe(board)
        log.warning("a board (%s) was dropped: %s", board.view.key, reason)

    def close(self) -> None:
        """The process is stopping: every board's stream ends now, cleanly (the pages resume by
        Last-Event-ID, from this display once restarted or from another replica). Without it
        uvicorn waits `timeout_graceful_shutdown` for streams that never end, then cancels each
        with a traceback in the log. Not a drop: not counted, not a warning."""
        boards = list(self._boards)
        for board in boards:
            board.dropped = "shutdown"
            self.unsubscribe(board)
            # Wake its stream, which then sees `dropped`; a full queue wakes it anyway.
            with contextlib.suppress(asyncio.QueueFull):
                board.queue.put_nowait((None, None))
        if boards:
            log.info("stopping: %d board streams ended", len(boards))

    @property
    def started(self) -> bool:
        """The fan-out has its place in the stream: a board connecting now misses nothing."""
        return self._last is not None

    @property
    def live(self) -> bool:
        """Updates reach the boards: the stream is being read."""
        return self._reading is not None and self._reading.up

    async def heartbeat(self, health: Health) -> None:
        """Every few seconds each board gets a heartbeat, so a silent board knows it is cut off,
        and `live: false` while updates cannot reach it (the board then shows it may be stale).

        Sent from here rather than by a timeout on each board's queue read: a timeout per read
        costs a task per update per board (asyncio.wait_for), which is most of the fan-out CPU.
        """
        while True:
            health.ok()
            await asyncio.sleep(self._heartbeat_s)
            beat = {"now": datetime.now(UTC).isoformat(), "live": self.live}
            frame = sse("heartbeat", beat)
            for board in list(self._boards):
                self._put(board, (None, frame))

    def _put(self, board: Board, item: Item) -> None:
        try:
            board.queue.put_nowait(item)
        except asyncio.QueueFull:
            # A whole queue behind: the board cannot keep up. Its stream sends what is queued
            # and ends; it resumes from its Last-Event-ID.
            self.drop(board, "overflow")

    async def run(self, health: Health) -> None:
        """Follow the stream and hand each update to the boards. Raises when Redis is away (the
        supervisor restarts it); a restart goes on after the last update handed out, so what
        was added meanwhile still reaches the boards. The first start begins at the stream's
        end: boards connecting read a snapshot first."""
        self._reading = health
        if self._last is None:
            self._last = await self._store.last_id()
        while True:
            entries = await self._store.read(self._last, block_ms=1000)
            health.ok()
            for entry_id, update in entries:
                self._last = entry_id
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
