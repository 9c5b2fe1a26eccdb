"""The board projection in Redis, keyed `{<site>}:display:...`, and its update stream.

Whatever it reads for boards passes through public.py: a board gets ticket numbers only."""

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
import redis.asyncio as aioredis

from display.projection import Change
from display.public import public_call, public_tile, public_update

Entry = tuple[str, dict[str, Any]]
"""A board update: its stream id (the SSE id) and its content."""


@dataclass(frozen=True)
class Applied:
    status: str
    """"applied", "noop" (applied, nothing visible changed), "copy" (applied before), "stale"
    (an earlier epoch) or "gap" (events of its queue are missing before it: not applied)."""
    entry_id: str | None = None


@dataclass(frozen=True)
class Batch:
    """A batch's offsets for apply.lua: per "topic:partition" [first, end) of what it read, and
    the partitions the consumer has just positioned at their beginning."""

    read: dict[str, tuple[int, int]]
    fresh: frozenset[str] = frozenset()


class Behind(Exception):
    """The projection is behind the batch: per "topic:partition", where to read again (-1:
    from the beginning). Nothing of the batch was applied."""

    def __init__(self, offsets: dict[str, int]) -> None:
        super().__init__(offsets)
        self.offsets = offsets


@dataclass(frozen=True)
class Snapshot:
    counters: dict[str, dict[str, Any]]
    waiting: dict[str, int]
    recent: list[dict[str, Any]]
    last_id: str


class BoardStore:
    """Applies changes with one Lua script and reads the board and its updates."""

    def __init__(self, redis: aioredis.Redis, site: str, recent: int, maxlen: int) -> None:
        self.redis = redis
        prefix = f"{{{site}}}:display"
        self.seq_key = f"{prefix}:seq"
        self.counters_key = f"{prefix}:counters"
        self.waiting_key = f"{prefix}:waiting"
        self.recent_key = f"{prefix}:recent"
        self.stream_key = f"{prefix}:board"
        self.offsets_key = f"{prefix}:offsets"
        self._recent = recent
        self._maxlen = maxlen
        lua = resources.files("display")
        self._apply = redis.register_script(lua.joinpath("apply.lua").read_text())
        self._snapshot = redis.register_script(lua.joinpath("snapshot.lua").read_text())

    async def apply(self, changes: list[Change], batch: Batch | None = None) -> list[Applied]:
        """Apply changes in order, atomically, each only in its queue's sequence; with the
        batch's offsets (each change then names its `tp` and `off`), store them in the same
        write. Raises Behind when the projection is behind what the batch follows."""
        if not changes and batch is None:
            return []
        keys = [self.seq_key, self.counters_key, self.waiting_key, self.recent_key]
        keys += [self.stream_key, self.offsets_key]
        blob = orjson.dumps({"read": batch.read, "fresh": sorted(batch.fresh)}) if batch else b""
        args: list[bytes | int] = [orjson.dumps(changes), self._recent, self._maxlen, blob]
        results = await self._apply(keys=keys, args=args)
        if results and _text(results[0]) == "rewind":
            raise Behind({tp: int(o) for tp, o in orjson.loads(results[1]).items()})
        return [_applied(_text(r)) for r in results]

    async def offsets(self) -> dict[str, int]:
        """Where the consumer reads again from, per "topic:partition" (see apply.lua)."""
        raw = await self.redis.hgetall(self.offsets_key)
        return {_text(tp): int(_text(v).split(":")[0]) for tp, v in raw.items()}

    async def snapshot(self) -> Snapshot:
        """The whole board and the id of the last update it contains."""
        keys = [self.counters_key, self.waiting_key, self.recent_key, self.stream_key]
        counters, waiting, recent, last_id = await self._snapshot(keys=keys)
        return Snapshot(
            counters={_text(k): public_tile(orjson.loads(v)) for k, v in _pairs(counters)},
            waiting={_text(k): int(v) for k, v in _pairs(waiting)},
            recent=[public_call(orjson.loads(item)) for item in recent],
            last_id=_text(last_id),
        )

    async def updates_after(self, last_id: str, count: int = 10_000) -> list[Entry] | None:
        """Updates after `last_id`, or None when the stream no longer reaches back that far."""
        first = await self.redis.xrange(self.stream_key, "-", "+", count=1)
        newest = await self.last_id()
        resume = id_tuple(last_id)
        if not first:
            return [] if resume == (0, 0) else None
        if id_tuple(_text(first[0][0])) > resume or resume > id_tuple(newest):
            # Trimmed past the resume point, or an id this stream never gave: only a fresh
            # snapshot makes the board whole again.
            return None
        raw: Any = await self.redis.xrange(self.stream_key, f"({last_id}", "+", count=count)
        return [decode_entry(entry_id, fields) for entry_id, fields in raw]

    async def read(self, last_id: str, block_ms: int) -> list[Entry]:
        """Block until updates after `last_id` arrive (or the timeout passes)."""
        reply: Any = await self.redis.xread({self.stream_key: last_id}, block=block_ms, count=500)
        if not reply:
            return []
        return [decode_entry(entry_id, fields) for entry_id, fields in reply[0][1]]

    async def last_id(self) -> str:
        last = await self.redis.xrevrange(self.stream_key, "+", "-", count=1)
        return _text(last[0][0]) if last else "0-0"


def _applied(result: str) -> Applied:
    if result in ("stale", "copy", "noop", "gap"):
        return Applied(result)
    return Applied("applied", result)


def decode_entry(entry_id: Any, fields: dict[Any, Any]) -> Entry:
    update = orjson.loads(fields[b"u"] if b"u" in fields else fields["u"])
    return _text(entry_id), public_update(update)


_STREAM_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")
_MAX_PART = 2**64 - 1


def valid_id(text: str) -> bool:
    """A Redis stream id `<ms>-<seq>`, as sent in the SSE `id` field: ASCII digits only
    (str.isdigit takes '²', which int() refuses) and each part within Redis's 64 bits."""
    if not _STREAM_ID.fullmatch(text):
        return False
    ms, _, seq = text.partition("-")
    return int(ms) <= _MAX_PART and int(seq) <= _MAX_PART


def id_tuple(text: str) -> tuple[int, int]:
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _pairs(flat: list[Any]) -> list[tuple[Any, Any]]:
    return list(zip(flat[::2], flat[1::2], strict=True))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
