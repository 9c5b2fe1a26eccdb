"""The hall voice from a running display: real espeak-ng and sox, the audio measured with sox."""

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from display.metrics import Metrics
from display.synth import Engines
from display.texts import announcement
from display.voice import Voice, VoiceBusy

PROBLEM = "application/problem+json"


def measured(wav: bytes, folder: Path, name: str = "call.wav") -> dict[str, float]:
    """Duration (sox --i -D) and levels (sox stat) of a WAV file."""
    path = folder / name
    path.write_bytes(wav)
    duration = subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True)
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True)
    levels = dict(re.findall(r"^(.+?):\s+(-?[0-9.]+)\s*$", stat.stderr, re.MULTILINE))
    return {
        "duration": float(duration.stdout),
        "rms": float(levels["RMS     amplitude"]),
        "peak": max(float(levels["Maximum amplitude"]), -float(levels["Minimum amplitude"])),
    }


def sample(metrics: str, name: str) -> float:
    """A sample's value in Prometheus text (0 when absent)."""
    found = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    return float(found[1]) if found else 0.0


async def scrape(http: Any) -> str:
    text: str = (await http.get("/metrics")).text
    return text


def plausible(seconds: float, text: str) -> bool:
    """A spoken length for the text: 0.25-0.8 s a word (calm hall speech is ~0.45), plus the
    silence around it."""
    words = len(text.split())
    return 0.25 * words <= seconds <= 0.8 * words + 1.0


async def test_a_call_is_served_as_speech_of_plausible_length_not_silent_nor_clipped_then_cached(
    new_topic, display_settings, tools, tmp_path: Path
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq)) as display:
        first = await display.http.get("/api/v1/board/voice/C-017/3.wav")
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "audio/wav"
        assert first.headers["x-antre-voice"] == "espeak"
        assert first.headers["cache-control"] == "public, max-age=3600"
        heard = measured(first.content, tmp_path)
        text = announcement("C-017", 3)
        assert plausible(heard["duration"], text), heard
        assert heard["rms"] > 0.02, f"silent: {heard}"
        assert 0.5 < heard["peak"] < 0.9, f"normalised to -3 dBFS, never clipped: {heard}"

        # A longer number to a two-word counter is longer speech: the audio says the call.
        longer = await display.http.get("/api/v1/board/voice/C-1017/12.wav")
        assert longer.status_code == 200
        assert measured(longer.content, tmp_path)["duration"] > heard["duration"] + 0.5

        before = await scrape(display.http)
        again = await display.http.get("/api/v1/board/voice/C-017/3.wav")
        after = await scrape(display.http)
        assert again.content == first.content
        hits = "display_voice_cache_hits_total"
        assert sample(after, hits) == sample(before, hits) + 1
        renders = 'display_voice_renders_total{engine="espeak"}'
        assert sample(after, renders) == sample(before, renders) == 2

        # The browser keeps it an hour, then asks again by its ETag.
        etag = first.headers["etag"]
        same = await display.http.get(
            "/api/v1/board/voice/C-017/3.wav", headers={"If-None-Match": etag}
        )
        assert same.status_code == 304 and same.content == b""


async def test_boards_asking_for_one_call_together_share_one_render(
    new_topic, display_settings, tools
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq)) as display:
        url = "/api/v1/board/voice/A-042/7.wav"
        answers = await asyncio.gather(*(display.http.get(url) for _ in range(20)))
        assert {a.status_code for a in answers} == {200}
        assert len({a.content for a in answers}) == 1
        metrics = await scrape(display.http)
        assert sample(metrics, 'display_voice_renders_total{engine="espeak"}') == 1
        assert sample(metrics, "display_voice_cache_hits_total") <= 19


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("C017/3", 400, "bad_ticket_number"),
        ("Halo%20semua/3", 400, "bad_ticket_number"),
        ("c-017/3", 400, "bad_ticket_number"),
        ("C-17/3", 400, "bad_ticket_number"),
        ("Z-017/3", 404, "unknown_prefix"),
        ("C-017/99", 404, "unknown_counter"),
        ("C-017/0", 404, "unknown_counter"),
        ("C-017/tiga", 400, "bad_counter_number"),
        ("C-017/-3", 400, "bad_counter_number"),
    ],
)
async def test_a_number_or_counter_the_catalog_lacks_is_a_problem_never_spoken(
    new_topic, display_settings, tools, path: str, status: int, kind: str
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq)) as display:
        answer = await display.http.get(f"/api/v1/board/voice/{path}.wav")
        assert answer.status_code == status
        assert answer.headers["content-type"] == PROBLEM
        body = answer.json()
        assert body["type"] == f"/problems/{kind}" and body["status"] == status
        metrics = await scrape(display.http)
        assert sample(metrics, 'display_voice_renders_total{engine="espeak"}') == 0


async def test_without_espeak_the_voice_is_a_503_problem_and_counted(
    new_topic, display_settings, tools
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    settings = display_settings(topic, dlq, voice_espeak="/nonexistent/espeak-ng")
    async with tools.running(settings) as display:
        answer = await display.http.get("/api/v1/board/voice/A-001/1.wav")
        assert answer.status_code == 503
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["type"] == "/problems/voice_unavailable"
        metrics = await scrape(display.http)
        failed = 'display_voice_render_failures_total{engine="espeak",reason="missing"}'
        assert sample(metrics, failed) == 1


def record_clips(folder: Path, words: set[str], rate: int = 16000) -> None:
    """A site's clips, one WAV per word; espeak-ng stands in for the recording person."""
    folder.mkdir(exist_ok=True)
    for word in words:
        raw = folder / f"{word}.raw.wav"
        subprocess.run(["espeak-ng", "-v", "id", "-w", str(raw), word], check=True)
        subprocess.run(["sox", str(raw), "-r", str(rate), str(folder / f"{word}.wav")], check=True)
        raw.unlink()


async def test_an_announcement_whose_every_word_has_a_clip_is_joined_from_the_clips(
    new_topic, display_settings, tools, tmp_path: Path
) -> None:
    text = announcement("C-017", 3)
    words = {w.strip(",").lower() for w in text.split()}
    clips = tmp_path / "clips"
    record_clips(clips, words)
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq, voice_clips=clips)) as display:
        joined = await display.http.get("/api/v1/board/voice/C-017/3.wav")
        assert joined.status_code == 200 and joined.headers["x-antre-voice"] == "clips"
        heard = measured(joined.content, tmp_path)
        each = sum(
            measured((clips / f"{w.strip(',').lower()}.wav").read_bytes(), tmp_path, "w.wav")[
                "duration"
            ]
            for w in text.split()
        )
        assert each + 0.3 <= heard["duration"] <= each + 0.5, (each, heard)  # + the padding
        assert heard["rms"] > 0.02 and heard["peak"] < 0.9

        # "delapan" has no clip: espeak-ng says the whole call.
        other = await display.http.get("/api/v1/board/voice/C-018/3.wav")
        assert other.status_code == 200 and other.headers["x-antre-voice"] == "espeak"


async def test_clips_sox_cannot_join_fall_back_to_espeak_and_are_counted(
    new_topic, display_settings, tools, tmp_path: Path
) -> None:
    text = announcement("C-017", 3)
    clips = tmp_path / "clips"
    record_clips(clips, {w.strip(",").lower() for w in text.split()})
    record_clips(clips, {"nomor"}, rate=44100)  # one recorded at another rate
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq, voice_clips=clips)) as display:
        answer = await display.http.get("/api/v1/board/voice/C-017/3.wav")
        assert answer.status_code == 200 and answer.headers["x-antre-voice"] == "espeak"
        metrics = await scrape(display.http)
        failed = 'display_voice_render_failures_total{engine="clips",reason="error"}'
        assert sample(metrics, failed) == 1


async def test_renders_beyond_the_processes_and_queue_are_refused_and_the_cache_stays_bounded(
    tmp_path: Path,
) -> None:
    metrics = Metrics()
    one_file = 260_000  # about one announcement
    voice = Voice(Engines(), metrics, processes=1, queue=0, cache_bytes=one_file * 3 // 2)
    first = asyncio.create_task(voice.audio(announcement("A-001", 1)))
    await asyncio.sleep(0)  # its render is under way
    with pytest.raises(VoiceBusy):
        await voice.audio(announcement("A-002", 1))
    assert metrics.registry.get_sample_value("display_voice_refused_total") == 1
    await first
    for n in range(2, 5):
        await voice.audio(announcement(f"A-00{n}", 1))
    assert (
        0
        < (metrics.registry.get_sample_value("display_voice_cache_bytes") or 0)
        <= one_file * 3 // 2
    )
    await voice.audio(announcement("A-004", 1))  # the newest is kept
    assert metrics.registry.get_sample_value("display_voice_cache_hits_total") == 1
