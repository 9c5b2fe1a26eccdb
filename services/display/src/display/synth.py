"""The hall voice's two engines: espeak-ng's Indonesian voice, or a site's recorded clips joined
by sox. Either way sox finishes the file the same (peak at -3 dBFS, a little silence before and
after, 16-bit mono WAV), so both sound alike in the hall and none is clipped.

Programs run without a shell, the text as one argument; it is only ever built by
texts.announcement from a validated ticket and counter number (voice.py)."""

import asyncio
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PAUSE = "jeda"
"""The clip played at a comma, if the folder has one (jeda.wav); without it, none."""

# Normalising needs the whole audio first, so sox writes a WAV header with its true lengths
# even to a pipe (checked by _checked_wav all the same).
FINISH = ["-b", "16", "-c", "1", "-t", "wav", "-", "gain", "-n", "-3", "pad", "0.15", "0.25"]


class RenderFailed(Exception):
    """A program of the voice failed: `reason` is missing (not installed), timeout or error."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def clip_words(text: str) -> list[str]:
    """The clips an announcement needs, in order: its words in lower case, PAUSE at a comma.
    "Nomor antrean A nol satu, silakan" → nomor antrean a nol satu jeda silakan."""
    return [PAUSE if token == "," else token.lower() for token in re.findall(r"[^\s,]+|,", text)]


def read_clips(folder: Path | None) -> dict[str, Path]:
    """The folder's clips by word (file name without .wav, lower case); none without a folder."""
    if folder is None:
        return {}
    return {p.stem.lower(): p for p in sorted(folder.iterdir()) if p.suffix.lower() == ".wav"}


@dataclass(frozen=True)
class Engines:
    espeak: str = "espeak-ng"
    sox: str = "sox"
    speed_wpm: int = 140
    timeout_s: float = 10.0
    clips: Mapping[str, Path] = field(default_factory=dict)

    def clips_for(self, text: str) -> list[Path] | None:
        """The clips that say the whole text, or None when a word has none (PAUSE is optional)."""
        words = clip_words(text)
        if not self.clips or any(w not in self.clips for w in words if w != PAUSE):
            return None
        return [self.clips[w] for w in words if w in self.clips]

    async def espeak_wav(self, text: str) -> bytes:
        """espeak-ng's Indonesian voice, finished by sox."""
        raw = await run([self.espeak, "-v", "id", "-s", str(self.speed_wpm), "--stdout", text],
                        self.timeout_s)  # fmt: skip
        return sized_wav(await run([self.sox, "-t", "wav", "-", *FINISH], self.timeout_s, raw))

    async def clips_wav(self, clips: list[Path]) -> bytes:
        """The clips one after another, finished by sox (they must share a rate and channels)."""
        return sized_wav(await run([self.sox, *map(str, clips), *FINISH], self.timeout_s))


async def run(argv: list[str], timeout_s: float, given: bytes | None = None) -> bytes:
    """A program's standard output; RenderFailed when it cannot start, overruns or fails."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if given is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:  # not installed, not executable
        raise RenderFailed("missing", f"{argv[0]}: {exc}") from exc
    try:
        out, err = await asyncio.wait_for(proc.communicate(given), timeout_s)
    except BaseException as exc:  # the time limit, or the app stopping
        if proc.returncode is None:
            proc.kill()
            await asyncio.shield(proc.wait())
        if isinstance(exc, TimeoutError):
            raise RenderFailed("timeout", f"{argv[0]}: over {timeout_s} s") from exc
        raise
    if proc.returncode != 0:
        tail = err.decode(errors="replace").strip()[-300:]
        raise RenderFailed("error", f"{argv[0]} exited with {proc.returncode}: {tail}")
    return out


def sized_wav(wav: bytes) -> bytes:
    """The WAV file with the true lengths in its header. sox writing to a pipe cannot go back
    to its header, so it leaves the lengths "unknown" (near 2^31): a player would wait for more,
    and a decoder may refuse it."""
    if len(wav) < 44 or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise RenderFailed("error", "sox wrote no WAV file")
    fixed, at = bytearray(wav), 12
    while at + 8 <= len(wav):
        chunk, size = wav[at : at + 4], struct.unpack_from("<I", wav, at + 4)[0]
        if chunk == b"data":
            struct.pack_into("<I", fixed, at + 4, len(wav) - at - 8)
            struct.pack_into("<I", fixed, 4, len(wav) - 8)
            return bytes(fixed)
        at += 8 + size + size % 2
    raise RenderFailed("error", "sox wrote a WAV file without data")
