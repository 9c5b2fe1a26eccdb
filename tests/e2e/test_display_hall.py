"""Hall content on the board in headless Chromium: messages rotate, the persyaratan of the
board's services stand under the waiting counts, the silent loop plays, and a call takes the
screen over all of it until its announcement is over.

Ticketing and display run as processes on the real Kafka and Redis with the shipped demo hall
file and media (times shortened so the test sees the rotation); Chromium is Debian's.
"""

import asyncio
import re
import tomllib
from collections.abc import AsyncIterator
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
SHIPPED = REPO / "deploy" / "catalog" / "mpp-kutai-timur.hall.toml"
OFFICER = {"Authorization": "Bearer demo-loket-03"}
BOXES = ["#now", "#hall-media", "#hall-message", "#recent", "#waiting", "#requirements"]


def quick_hall(folder: Path) -> Path:
    """The shipped hall file with its own media, its times shortened for a test."""
    text = SHIPPED.read_text()
    text = re.sub(r"(?m)^media_dir = .*$", f'media_dir = "{SHIPPED.parent / "hall-media"}"', text)
    for key, value in (("message_seconds", 3), ("slide_seconds", 2), ("focus_seconds", 2)):
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    path = folder / "hall.toml"
    path.write_text(text)
    return path


@pytest.fixture
async def stack(
    new_topic: Any, kafka_bootstrap: str, redis_url: str, site_id: str, tmp_path: Path
) -> AsyncIterator[dict[str, ServiceProcess]]:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    port = free_port()
    ticketing = ServiceProcess("ticketing", port, {
        "TICKETING_KAFKA_BOOTSTRAP": kafka_bootstrap, "TICKETING_REDIS_URL": redis_url,
        "TICKETING_TOPIC": topic, "TICKETING_SITE_ID": site_id,
        "TICKETING_ENFORCE_HOURS": "false", "TICKETING_PORT": str(port),
    })  # fmt: skip
    port = free_port()
    display = ServiceProcess("display", port, {
        "DISPLAY_KAFKA_BOOTSTRAP": kafka_bootstrap, "DISPLAY_REDIS_URL": redis_url,
        "DISPLAY_TOPIC": topic, "DISPLAY_DLQ_TOPIC": dlq, "DISPLAY_GROUP_ID": f"display-{site_id}",
        "DISPLAY_SITE_ID": site_id, "DISPLAY_HEARTBEAT_S": "1", "DISPLAY_PORT": str(port),
        "DISPLAY_HALL_PATH": str(quick_hall(tmp_path)),
    })  # fmt: skip
    await asyncio.to_thread(ticketing.start)
    await asyncio.to_thread(display.start)
    try:
        yield {"ticketing": ticketing, "display": display}
    finally:
        display.stop()
        ticketing.stop()


async def call_next_at_loket_3(ticketing: ServiceProcess, service_id: str) -> str:
    async with httpx.AsyncClient(
        base_url=ticketing.url, timeout=10, event_hooks=DEMO_CREDENTIALS
    ) as http:
        body = {"service_id": service_id, "priority": "regular", "channel": "kiosk"}
        assert (await http.post("/api/v1/tickets", json=body)).status_code == 201
        for action in ("open", "call-next"):
            response = await http.post(f"/api/v1/counters/loket-3/{action}", headers=OFFICER)
            assert response.status_code == 200, response.text
    number: str = response.json()["number"]
    return number


async def boxes(page: Page) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for selector in [*BOXES, "#counters"]:
        box = await page.locator(selector).bounding_box()
        assert box is not None, f"{selector} is not shown"
        found[selector] = box
    return found


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


async def assert_laid_out_for_a_tv(page: Page) -> None:
    """Every part on the 1920×1080 screen, none over another, no text cut off in its box."""
    found = await boxes(page)
    for name, box in found.items():
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1920, (name, box)
        assert box["y"] >= 110 and box["y"] + box["height"] <= 1000, (name, box)
    names = list(found)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not overlap(found[a], found[b]), f"{a} {found[a]} overlaps {b} {found[b]}"
    waiting, requirements = found["#waiting"], found["#requirements"]
    assert requirements["y"] >= waiting["y"] + waiting["height"], "persyaratan under the counts"
    cut = await page.evaluate(
        """() => ['#now', '#hall-message', '#requirements-documents', '#waiting', '#recent']
            .map((s) => document.querySelector(s))
            .filter((e) => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
            .map((e) => e.id)"""
    )
    assert cut == [], f"text cut off in {cut}"


async def screenshot(page: Page, name: str) -> None:
    """A 1920×1080 screenshot once the cards have settled (no text half faded in)."""
    await page.wait_for_function(
        "document.getAnimations().every((a) => a.animationName !== 'hall-in')"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / name))


async def video_time(page: Page) -> float:
    t: float = await page.evaluate("document.querySelector('#hall-media video').currentTime")
    return t


async def test_a_zone_board_rotates_its_content_and_a_call_takes_the_screen_over_it(
    stack: dict[str, ServiceProcess],
) -> None:
    ticketing, display = stack["ticketing"], stack["display"]
    shipped = tomllib.loads(SHIPPED.read_text())
    zone_a = shipped["zones"]["a"]["messages"] + shipped["hall"]["messages"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=["--autoplay-policy=no-user-gesture-required"]
        )
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.goto(f"{display.url}/board?zone=a")
        await page.wait_for_function("window.antreBoard.live === true")
        assert await page.evaluate("document.body.classList.contains('hall-on')")

        # Messages: the zone's first, then the whole hall's, one after another.
        shown = (
            "[window.antreHall.messagesShown, document.querySelector('#hall-message').innerText]"
        )
        for turn in (1, 2, 3, len(zone_a) + 1):  # the last: round again to the first
            await page.wait_for_function(f"window.antreHall.messagesShown >= {turn}")
            count, text = await page.evaluate(shown)
            assert text.strip() == zone_a[(count - 1) % len(zone_a)], (count, text)

        # Persyaratan of the zone's services (ktp-el, kk, akta) in turn, under the waiting counts.
        head = page.locator("#requirements-service")
        assert await head.get_attribute("data-service") in {"ktp-el", "kk", "akta"}
        await page.wait_for_function(
            "document.querySelector('#requirements-service').dataset.service === 'akta'"
        )
        assert await head.locator(".prefix").inner_text() == "C"
        assert (await head.inner_text()).endswith("Akta Kelahiran, Kematian & KIA")
        documents = await page.locator("#requirements-documents li").all_inner_texts()
        assert documents == shipped["services"]["akta"]["requirements"]
        assert "Persyaratan" in await page.locator("#requirements-title").inner_text()

        # The silent loop plays (the zone has none of its own: the hall's video).
        await page.wait_for_function(
            "(v => v && !v.paused && v.muted && v.currentTime > 0.5)"
            "(document.querySelector('#hall-media video'))"
        )
        src = await page.evaluate("document.querySelector('#hall-media video').src")
        assert src.endswith("/hall/media/mpp-kutai-timur.webm")
        await assert_laid_out_for_a_tv(page)
        await screenshot(page, "display-hall.png")

        # A call: its panel covers the content, which pauses and dims, while it is announced.
        number = await call_next_at_loket_3(ticketing, "akta")
        await page.wait_for_function("window.antreHall.focus === true")
        await page.wait_for_function("window.antreBoard.playing !== null")
        assert await page.evaluate("document.querySelector('#hall-media video').paused")
        paused_at = await video_time(page)
        now, stage = (
            await page.locator("#now").bounding_box(),
            await page.locator("#stage").bounding_box(),
        )
        assert now == stage, "the call's panel covers the whole stage"
        assert await page.locator("#now-number").inner_text() == number
        await page.wait_for_function(
            "getComputedStyle(document.querySelector('#hall')).opacity < 0.2"
        )
        message = await page.locator("#hall-message").inner_text()
        await screenshot(page, "display-hall-call.png")
        await asyncio.sleep(3.5)  # longer than a message's turn: the card waits for the call
        assert await page.locator("#hall-message").inner_text() == message
        assert await video_time(page) == paused_at

        # The announcement ends; focus_seconds later the content comes back where it was.
        await page.wait_for_function(
            "window.antreBoard.announcements[0].state === 'done'", timeout=30_000
        )
        ended = await page.evaluate("window.antreBoard.announcements[0].endedAt")
        assert await page.evaluate("window.antreHall.focus") is True, "held after the voice"
        await page.wait_for_function("window.antreHall.focus === false", timeout=10_000)
        released = await page.evaluate("Date.now()")
        assert 1_800 <= released - ended <= 4_000, released - ended
        await page.wait_for_function(
            f"document.querySelector('#hall-media video').currentTime > {paused_at + 0.3}"
        )
        assert await page.locator("#now-number").inner_text() == number  # still shown, as a band
        await assert_laid_out_for_a_tv(page)
        await screenshot(page, "display-hall-after-call.png")
        await browser.close()


async def test_the_whole_hall_board_fits_its_15_counters_and_16_services_beside_the_content(
    stack: dict[str, ServiceProcess],
) -> None:
    display = stack["display"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM)
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.goto(f"{display.url}/board?mute=1")
        await page.wait_for_function("window.antreBoard.live === true")
        assert await page.locator(".counter").count() == 15
        assert await page.locator("#waiting li").count() == 16
        # The loop goes on from the video to the slide and back.
        await page.wait_for_function("window.antreHall.mediaShown >= 2", timeout=30_000)
        assert await page.locator("#hall-media img").get_attribute("src") == (
            "/hall/media/alur-layanan.png"
        )
        await page.wait_for_function(
            "document.querySelector('#hall-media img').complete"
            " && document.querySelector('#hall-media img').naturalWidth === 960"
        )
        # The longest persyaratan of the site fits too (pertanahan: five lines).
        await page.wait_for_function(
            "document.querySelector('#requirements-service').dataset.service === 'pertanahan'",
            timeout=60_000,
        )
        await assert_laid_out_for_a_tv(page)
        await screenshot(page, "display-hall-whole.png")
        await page.wait_for_function("window.antreHall.mediaShown >= 3", timeout=15_000)
        assert await page.locator("#hall-media video").count() == 1
        await browser.close()
