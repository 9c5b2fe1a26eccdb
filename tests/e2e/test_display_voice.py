"""The hall voice in headless Chromium: each call plays the display's audio once, one after the
other, and the browser's own voice speaks only when that audio cannot be had.

Ticketing and display run as processes on the real Kafka and Redis, espeak-ng and sox render
the audio, and Chromium (Debian's) plays it on a fake audio device. The page's Web Audio and
speechSynthesis calls are observed (each wrapper calls the real one), not replaced.
"""

import asyncio
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright

from tests.support.demo import DEMO_CREDENTIALS
from tests.support.processes import REPO, ServiceProcess, free_port

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
OFFICER = {"Authorization": "Bearer demo-loket-03"}
CHROMIUM_ARGS = [
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
OBSERVE = """
window.audioPlays = [];
const start = AudioBufferSourceNode.prototype.start;
AudioBufferSourceNode.prototype.start = function (...args) {
  window.audioPlays.push({ duration: this.buffer.duration, at: Date.now() });
  return start.apply(this, args);
};
window.spoken = [];
const speak = speechSynthesis.speak.bind(speechSynthesis);
speechSynthesis.speak = (utterance) => { window.spoken.push(utterance.text); speak(utterance); };
"""


@asynccontextmanager
async def hall(
    new_topic: Any, kafka_bootstrap: str, redis_url: str, site: str, **display_env: str
) -> AsyncIterator[tuple[ServiceProcess, ServiceProcess]]:
    """Ticketing and display on the test's own topics and site."""
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    port = free_port()
    ticketing = ServiceProcess("ticketing", port, {
        "TICKETING_KAFKA_BOOTSTRAP": kafka_bootstrap, "TICKETING_REDIS_URL": redis_url,
        "TICKETING_TOPIC": topic, "TICKETING_SITE_ID": site, "TICKETING_PORT": str(port),
        "TICKETING_ENFORCE_HOURS": "false",
    })  # fmt: skip
    port = free_port()
    display = ServiceProcess("display", port, {
        "DISPLAY_KAFKA_BOOTSTRAP": kafka_bootstrap, "DISPLAY_REDIS_URL": redis_url,
        "DISPLAY_TOPIC": topic, "DISPLAY_DLQ_TOPIC": dlq, "DISPLAY_GROUP_ID": f"display-{site}",
        "DISPLAY_SITE_ID": site, "DISPLAY_HEARTBEAT_S": "1", "DISPLAY_PORT": str(port),
        **display_env,
    })  # fmt: skip
    await asyncio.to_thread(ticketing.start)
    try:
        await asyncio.to_thread(display.start)
        yield ticketing, display
    finally:
        display.stop()
        ticketing.stop()


async def counter(ticketing: ServiceProcess, *actions: str) -> list[str]:
    """Counter 3's actions in a row, as fast as they go; the numbers called."""
    called = []
    async with httpx.AsyncClient(base_url=ticketing.url, timeout=10) as http:
        for action in actions:
            body = {"outcome": "served"} if action == "finish" else None
            url = f"/api/v1/counters/loket-3/{action}"
            response = await http.post(url, headers=OFFICER, json=body)
            assert response.status_code == 200, response.text
            if action == "call-next":
                called.append(response.json()["number"])
    return called


async def issue(ticketing: ServiceProcess, service_id: str, count: int) -> list[str]:
    async with httpx.AsyncClient(
        base_url=ticketing.url, timeout=10, event_hooks=DEMO_CREDENTIALS
    ) as http:
        body = {"service_id": service_id, "priority": "regular", "channel": "kiosk"}
        numbers = []
        for _ in range(count):
            response = await http.post("/api/v1/tickets", json=body)
            assert response.status_code == 201, response.text
            numbers.append(response.json()["number"])
    return numbers


async def served_duration(display: ServiceProcess, number: str, tmp_path: Path) -> float:
    """The duration of the call's audio as the display serves it, measured by sox."""
    async with httpx.AsyncClient(base_url=display.url, timeout=10) as http:
        response = await http.get(f"/api/v1/board/voice/{number}/3.wav")
    assert response.status_code == 200, response.text
    path = tmp_path / f"{number}.wav"
    path.write_bytes(response.content)
    sox = await asyncio.to_thread(
        subprocess.run, ["sox", "--i", "-D", str(path)], capture_output=True, text=True
    )
    return float(sox.stdout)


async def all_done(page: Page, count: int) -> list[dict[str, Any]]:
    await page.wait_for_function(
        f"window.antreBoard.announcements.length === {count}"
        " && window.antreBoard.announcements.every(a => a.state === 'done')",
        timeout=60_000,
    )
    said: list[dict[str, Any]] = await page.evaluate("window.antreBoard.announcements")
    return said


async def test_each_call_plays_the_displays_audio_once_and_two_quick_calls_never_overlap(
    new_topic: Any, kafka_bootstrap: str, redis_url: str, site_id: str, tmp_path: Path
) -> None:
    async with (
        hall(new_topic, kafka_bootstrap, redis_url, site_id) as (ticketing, display),
        async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.add_init_script(OBSERVE)
        await page.goto(f"{display.url}/board")
        await page.wait_for_function("window.antreBoard.live === true")
        await issue(ticketing, "akta", 3)

        assert await counter(ticketing, "open", "call-next") == ["C-001"]
        [first] = await all_done(page, 1)
        served = await served_duration(display, "C-001", tmp_path)
        assert first["via"] == "audio" and first["engine"] == "espeak", first
        assert abs(first["duration"] - served) < 0.01, (first["duration"], served)
        plays = await page.evaluate("window.audioPlays")
        assert len(plays) == 1 and abs(plays[0]["duration"] - served) < 0.01, plays
        played_ms = first["endedAt"] - first["voiceAt"]
        assert served * 1000 - 100 <= played_ms <= served * 1000 + 1000, (played_ms, served)

        # Two calls a moment apart: the second waits for the first to end.
        called = await counter(ticketing, "finish", "call-next", "finish", "call-next")
        assert called == ["C-002", "C-003"]
        said = await all_done(page, 3)
        assert [a["number"] for a in said] == ["C-001", "C-002", "C-003"]
        assert all(a["via"] == "audio" for a in said)
        assert said[2]["queuedAt"] < said[1]["endedAt"], "C-003 came while C-002 was heard"
        plays = await page.evaluate("window.audioPlays")
        assert len(plays) == 3, plays
        for before, after in pairwise(said):
            assert after["startedAt"] >= before["endedAt"], (before, after)
        for before, after in pairwise(plays):
            assert after["at"] >= before["at"] + before["duration"] * 1000 - 50, plays
        assert await page.evaluate("window.spoken") == []
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "display-board-voice.png"))
        await browser.close()


async def test_without_the_displays_audio_the_browser_speaks_the_call(
    new_topic: Any, kafka_bootstrap: str, redis_url: str, site_id: str
) -> None:
    """espeak-ng missing on the display: its voice answers 503, and the board falls back."""
    broken = {"DISPLAY_VOICE_ESPEAK": "/nonexistent/espeak-ng"}
    async with (
        hall(new_topic, kafka_bootstrap, redis_url, site_id, **broken) as (ticketing, display),
        async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.add_init_script(OBSERVE)
        await page.goto(f"{display.url}/board")
        await page.wait_for_function("window.antreBoard.live === true")
        await issue(ticketing, "akta", 1)
        await counter(ticketing, "open", "call-next")
        [said] = await all_done(page, 1)
        assert said["via"] == "speech" and said["fallback"] == "Error: HTTP 503", said
        assert said["duration"] is None
        assert await page.evaluate("window.spoken") == [said["text"]]
        assert await page.evaluate("window.audioPlays") == []
        await page.screenshot(path=str(ARTIFACTS / "display-board-voice-fallback.png"))
        await browser.close()
