"""The hall voice: each call's announcement as a WAV file, rendered once and kept.

Anyone on the hall's network can ask for it, so the display speaks nothing but
texts.announcement of a ticket number with a catalog prefix and a catalog counter (never text
from the client); at most `processes` renders run at once and `queue` more wait for one (any
further request is refused: the board speaks with the browser's voice); boards asking for one
call together share its render; and the cache is bounded by bytes, least recently used first.
"""

import asyncio
import hashlib
import logging
import re
import shutil
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass

from antre_contracts import Catalog

from display import texts
from display.config import Settings
from display.metrics import Metrics
from display.synth import Engines, RenderFailed, read_clips

log = logging.getLogger(__name__)
TICKET_NUMBER = re.compile(r"(?P<prefix>[A-Z]{1,2})-[0-9]{3,5}")
"""As ticketing prints them: the service's prefix, a dash, the day's count on 3 digits or more."""
COUNTER_NUMBER = re.compile(r"[0-9]{1,4}")


class NotAnnounced(Exception):
    """A ticket or counter number the hall would never hear: a 400 or 404 problem."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.title = status, code, title


class VoiceBusy(Exception):
    """Already as many renders running and waiting as the display allows."""


def announcement_of(catalog: Catalog, number: str, counter: str) -> str:
    """What the hall says when ticket `number` is called to counter `counter`, if both can be."""
    match = TICKET_NUMBER.fullmatch(number)
    if match is None:
        raise NotAnnounced(400, "bad_ticket_number", "Bad ticket number", texts.BAD_TICKET_NUMBER)
    prefix = match["prefix"]
    if all(s.prefix != prefix for s in catalog.services):
        detail = texts.UNKNOWN_PREFIX.format(prefix=prefix)
        raise NotAnnounced(404, "unknown_prefix", "No service has this prefix", detail)
    if COUNTER_NUMBER.fullmatch(counter) is None:
        raise NotAnnounced(400, "bad_counter_number", "Bad counter number", texts.BAD_COUNTER)
    if all(c.number != int(counter) for c in catalog.counters):
        detail = texts.UNKNOWN_COUNTER.format(counter=int(counter))
        raise NotAnnounced(404, "unknown_counter", "No such counter", detail)
    return texts.announcement(number, int(counter))


@dataclass(frozen=True)
class Audio:
    wav: bytes
    engine: str
    """espeak or clips"""
    etag: str


def build_voice(settings: Settings, metrics: Metrics) -> "Voice":
    """The voice as set; the log says so at start when a program it needs is missing."""
    engines = Engines(
        settings.voice_espeak,
        settings.voice_sox,
        settings.voice_speed_wpm,
        settings.voice_timeout_s,
        read_clips(settings.voice_clips),
    )
    for program in (engines.espeak, engines.sox):
        if shutil.which(program) is None:
            log.warning("%s not found: boards will speak with the browser's voice", program)
    if settings.voice_clips is not None:
        log.info("voice clips: %d words from %s", len(engines.clips), settings.voice_clips)
    cache_bytes = int(settings.voice_cache_mb * 1_000_000)
    return Voice(engines, metrics, settings.voice_processes, settings.voice_queue, cache_bytes)


class Voice:
    def __init__(
        self, engines: Engines, metrics: Metrics, processes: int, queue: int, cache_bytes: int
    ) -> None:
        self._engines, self._metrics = engines, metrics
        self._slots = asyncio.Semaphore(processes)
        self._most = processes + queue
        self._rendering: dict[str, asyncio.Task[Audio]] = {}
        self._cache: OrderedDict[str, Audio] = OrderedDict()
        self._cache_max, self._cache_bytes = cache_bytes, 0

    async def audio(self, text: str) -> Audio:
        """The announcement's audio: kept, being rendered for another board, or rendered now.
        VoiceBusy when too many renders wait; RenderFailed when no engine could say it."""
        kept = self._cache.get(text)
        if kept is not None:
            self._cache.move_to_end(text)
            self._metrics.voice_cache_hits.inc()
            return kept
        task = self._rendering.get(text)
        if task is None:
            if len(self._rendering) >= self._most:
                self._metrics.voice_refused.inc()
                raise VoiceBusy
            task = asyncio.create_task(self._render(text), name="voice render")
            self._rendering[text] = task
            task.add_done_callback(lambda done: self._done(text, done))
        # A board that leaves does not cancel the render the others wait for (or the cache).
        return await asyncio.shield(task)

    def _done(self, text: str, task: "asyncio.Task[Audio]") -> None:
        self._rendering.pop(text, None)
        if not task.cancelled():
            task.exception()  # retrieved: a failure nobody waited for any more is not logged twice

    async def _render(self, text: str) -> Audio:
        async with self._slots:
            clips = self._engines.clips_for(text)
            if clips:
                try:
                    wav = await self._timed("clips", self._engines.clips_wav(clips))
                    return self._keep(text, "clips", wav)
                except RenderFailed as exc:  # e.g. clips of different rates: espeak says it
                    log.warning("voice clips failed (%s), espeak-ng instead: %s", exc.reason, exc)
            try:
                wav = await self._timed("espeak", self._engines.espeak_wav(text))
            except RenderFailed as exc:
                log.warning(
                    "voice failed (%s), boards use the browser's voice: %s", exc.reason, exc
                )
                raise
        return self._keep(text, "espeak", wav)

    async def _timed(self, engine: str, render: Awaitable[bytes]) -> bytes:
        started = asyncio.get_running_loop().time()
        try:
            wav = await render
        except RenderFailed as exc:
            self._metrics.voice_failures.labels(engine, exc.reason).inc()
            raise
        elapsed = asyncio.get_running_loop().time() - started
        self._metrics.voice_render_seconds.labels(engine).observe(elapsed)
        self._metrics.voice_renders.labels(engine).inc()
        return wav

    def _keep(self, text: str, engine: str, wav: bytes) -> Audio:
        audio = Audio(wav, engine, f'"{hashlib.sha256(wav).hexdigest()[:24]}"')
        if len(wav) <= self._cache_max:
            self._cache[text] = audio
            self._cache_bytes += len(wav)
            while self._cache_bytes > self._cache_max:
                _, old = self._cache.popitem(last=False)
                self._cache_bytes -= len(old.wav)
            self._metrics.voice_cache_bytes.set(self._cache_bytes)
        return audio
