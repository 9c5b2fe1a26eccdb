"""A call made at a counter reaches the hall board in headless Chromium, spoken and shown.

Ticketing and display run as processes on the real Kafka and Redis; Chromium is Debian's.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright

from tests.support.demo import DEMO_CREDENTIALS
from tests.support.processes import REPO, ServiceProcess, free_port
from tests.support.redis import PrivateRedis

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
OFFICER = {"Authorization": "Bearer demo-loket-03"}


@pytest.fixture
async def stack(
    new_topic: Any, kafka_bootstrap: str, redis_url: str, site_id: str
) -> AsyncIterator[dict[str, Any]]:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    ticketing = ServiceProcess(
        "ticketing",
        free_port(),
        {
            "TICKETING_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "TICKETING_REDIS_URL": redis_url,
            "TICKETING_TOPIC": topic,
            "TICKETING_SITE_ID": site_id,
            "TICKETING_ENFORCE_HOURS": "false",
        },
    )
    ticketing.env["TICKETING_PORT"] = str(ticketing.port)
    display_env = {
        "DISPLAY_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "DISPLAY_REDIS_URL": redis_url,
        "DISPLAY_TOPIC": topic,
        "DISPLAY_DLQ_TOPIC": dlq,
        "DISPLAY_GROUP_ID": f"display-{site_id}",
        "DISPLAY_SITE_ID": site_id,
        "DISPLAY_HEARTBEAT_S": "1",
    }
    port = free_port()
    display = ServiceProcess("display", port, {**display_env, "DISPLAY_PORT": str(port)})
    await asyncio.to_thread(ticketing.start)
    await asyncio.to_thread(display.start)
    try:
        yield {"ticketing": ticketing, "display": display}
    finally:
        display.stop()
        ticketing.stop()


async def counter_action(ticketing: ServiceProcess, action: str, **body: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=ticketing.url, timeout=10, event_hooks=DEMO_CREDENTIALS
    ) as http:
        url = f"/api/v1/counters/loket-3/{action}"
        response = await http.post(url, headers=OFFICER, json=body or None)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def issue(ticketing: ServiceProcess, service_id: str) -> str:
    async with httpx.AsyncClient(
        base_url=ticketing.url, timeout=10, event_hooks=DEMO_CREDENTIALS
    ) as http:
        body = {"service_id": service_id, "priority": "regular", "channel": "kiosk"}
        response = await http.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.text
    number: str = response.json()["number"]
    return number


async def board_text(page: Page, selector: str) -> str:
    return (await page.locator(selector).inner_text()).strip()


async def test_a_call_is_shown_and_announced_a_reconnect_misses_nothing_a_recall_repeats(
    stack: dict[str, Any],
) -> None:
    ticketing, display = stack["ticketing"], stack["display"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=["--autoplay-policy=no-user-gesture-required"]
        )
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        muted = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.goto(f"{display.url}/board")
        await muted.goto(f"{display.url}/board?zone=a&mute=1")
        for p in (page, muted):
            await p.wait_for_function("window.antreBoard.live === true")

        first, second = await issue(ticketing, "akta"), await issue(ticketing, "akta")
        assert (first, second) == ("C-001", "C-002")
        await counter_action(ticketing, "open")
        assert (await counter_action(ticketing, "call-next"))["number"] == "C-001"

        await page.wait_for_function("window.antreBoard.announcements.length >= 1")
        said = await page.evaluate("window.antreBoard.announcements.map(a => a.text)")
        assert said == ["Nomor antrean ce nol nol satu, silakan menuju loket tiga"]
        assert await board_text(page, "#now-number") == "C-001"
        assert await board_text(page, "#now-counter") == "Loket 3"
        assert await board_text(page, '[data-counter="loket-3"] .ticket') == "C-001"
        await muted.wait_for_function("window.antreBoard.recent.length >= 1")
        assert await board_text(muted, "#now-number") == "C-001"
        assert await muted.evaluate("window.antreBoard.announcements.length") == 0
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "display-board.png"))

        # The display dies; the board says so, the hall calls the next ticket meanwhile.
        await asyncio.to_thread(display.kill)
        await page.wait_for_function("document.body.classList.contains('stale')")
        assert "Koneksi terputus" in await board_text(page, "#stale-banner")
        await counter_action(ticketing, "finish", outcome="served")
        assert (await counter_action(ticketing, "call-next"))["number"] == "C-002"
        await asyncio.to_thread(display.start)

        # The board reconnects by itself with Last-Event-ID and gets exactly what it missed.
        await page.wait_for_function("window.antreBoard.announcements.length >= 2", timeout=60_000)
        await page.wait_for_function("!document.body.classList.contains('stale')")
        said = await page.evaluate("window.antreBoard.announcements.map(a => a.text)")
        assert said == [
            "Nomor antrean ce nol nol satu, silakan menuju loket tiga",
            "Nomor antrean ce nol nol dua, silakan menuju loket tiga",
        ]
        assert await page.evaluate("window.antreBoard.snapshots") == 1  # resumed, not reloaded
        assert await board_text(page, "#now-number") == "C-002"

        # A recall is announced again, after the call, never over it.
        await counter_action(ticketing, "recall")
        await page.wait_for_function("window.antreBoard.announcements.length >= 3")
        again = await page.evaluate("window.antreBoard.announcements[2]")
        assert again["text"] == "Nomor antrean ce nol nol dua, silakan menuju loket tiga"
        assert again["recall"] is True
        await page.screenshot(path=str(ARTIFACTS / "display-board-after-reconnect.png"))
        await browser.close()


async def test_a_board_whose_updates_stop_says_so_while_heartbeats_still_come(
    new_topic: Any, kafka_bootstrap: str, redis_url: str, site_id: str, tmp_path: Any
) -> None:
    """The display's Redis dies: its connection to the board stands and heartbeats go on, but no
    update can reach the board. The board must not look live: it dims and says so."""
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    store = PrivateRedis(tmp_path / "redis").start()
    port = free_port()
    display = ServiceProcess("display", port, {
        "DISPLAY_KAFKA_BOOTSTRAP": kafka_bootstrap, "DISPLAY_REDIS_URL": store.url,
        "DISPLAY_TOPIC": topic, "DISPLAY_DLQ_TOPIC": dlq, "DISPLAY_GROUP_ID": f"display-{site_id}",
        "DISPLAY_SITE_ID": site_id, "DISPLAY_HEARTBEAT_S": "1", "DISPLAY_PORT": str(port),
    })  # fmt: skip
    await asyncio.to_thread(display.start)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM)
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await page.goto(f"{display.url}/board?mute=1")
            await page.wait_for_function("window.antreBoard.live === true")
            beats = await page.evaluate("window.antreBoard.updates + window.antreBoard.snapshots")

            store.kill()
            await page.wait_for_function("document.body.classList.contains('stale')")
            assert "Pembaruan papan tertunda" in await board_text(page, "#stale-banner")
            assert await page.evaluate("window.antreBoard.live") is True  # heartbeats still come
            await page.screenshot(path=str(ARTIFACTS / "display-board-not-live.png"))

            store.start()
            await page.wait_for_function(
                "!document.body.classList.contains('stale')", timeout=30_000
            )
            assert await page.evaluate("window.antreBoard.updatesLive") is True
            assert beats == await page.evaluate(
                "window.antreBoard.updates + window.antreBoard.snapshots"
            ), "the board was not reloaded: it stayed connected throughout"
            await browser.close()
    finally:
        display.stop()
        store.kill()
