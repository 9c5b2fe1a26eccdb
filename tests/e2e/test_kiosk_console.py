"""The kiosk, the counter console and the visitor's status page, driven in Debian's Chromium.

Ticketing runs as a process on the real Kafka (a topic of the test's own) and Redis (a site id of
its own). The browser does what people do; the JSON API confirms each state it should have caused.
Screenshots land in test-artifacts/screenshots/.
"""

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, async_playwright, expect

from tests.support.demo import DEMO_CREDENTIALS
from tests.support.processes import REPO, ServiceProcess, free_port
from tests.support.redis import PrivateRedis

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = REPO / "test-artifacts" / "screenshots"
LAPTOP = {"width": 1366, "height": 768}
KIOSK = {"width": 1080, "height": 1920}
PHONE = {"width": 390, "height": 844}
LIVE = 15_000  # ms a live page may take to follow a change (polling with backoff)


@pytest.fixture
async def ticketing(
    new_topic: Any, kafka_bootstrap: str, redis_url: str, site_id: str
) -> AsyncIterator[ServiceProcess]:
    port = free_port()
    service = ServiceProcess(
        "ticketing",
        port,
        {
            "TICKETING_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "TICKETING_REDIS_URL": redis_url,
            "TICKETING_TOPIC": await new_topic(),
            "TICKETING_SITE_ID": site_id,
            "TICKETING_ENFORCE_HOURS": "false",
            "TICKETING_PORT": str(port),
        },
    )
    await asyncio.to_thread(service.start)
    try:
        yield service
    finally:
        await asyncio.to_thread(service.stop)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def open_page(browser: Browser, url: str, viewport: dict[str, int], **opts: Any) -> Page:
    context = await browser.new_context(viewport=viewport, locale="id-ID", **opts)  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    setattr(page, "js_errors", errors)  # noqa: B010
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    setattr(page, "requested", requested)  # noqa: B010
    await page.goto(url)
    return page


def js_errors(page: Page) -> list[str]:
    """Script errors the page logged; expected refusals (4xx fetches) are not script errors."""
    errors: list[str] = getattr(page, "js_errors", [])
    return [e for e in errors if "Failed to load resource" not in e]


async def shot(page: Page, name: str, **opts: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), **opts)


async def api_get(service: ServiceProcess, path: str) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=service.url, timeout=10, event_hooks=DEMO_CREDENTIALS
    ) as http:
        response = await http.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def api_issue(service: ServiceProcess, service_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=service.url, timeout=10, event_hooks=DEMO_CREDENTIALS
    ) as http:
        body = {"service_id": service_id, "priority": "regular", "channel": "api"}
        response = await http.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


async def sign_in(console: Page, token: str) -> None:
    await console.get_by_label("Token petugas").fill(token)
    await console.get_by_role("button", name="Masuk", exact=True).click()


async def test_visitor_takes_a_ticket_at_the_kiosk_and_an_officer_serves_it(
    ticketing: ServiceProcess, browser: Browser
) -> None:
    base = ticketing.url
    console = await open_page(browser, f"{base}/counter/loket-1", LAPTOP)

    # A wrong token is refused with the API's own sentence; the right one opens the desk.
    await sign_in(console, "demo-salah")
    await expect(console.locator("#signin-error")).to_contain_text("Token petugas tidak dikenal")
    await sign_in(console, "demo-loket-01")
    await expect(console.locator("#officer")).to_contain_text("Rahmawati")

    # Refused actions show why: the counter is closed, then nobody is waiting.
    await console.keyboard.press("n")
    await expect(console.locator("#message")).to_contain_text("Loket 1 sedang tutup")
    await expect(console.locator("#message")).to_have_class("refused")
    await console.keyboard.press("b")
    await expect(console.locator("#state")).to_have_text("Buka", timeout=LIVE)
    assert (await api_get(ticketing, "/api/v1/counters/loket-1"))["state"] == "open"
    await console.keyboard.press("n")
    await expect(console.locator("#message")).to_contain_text("Tidak ada antrean yang menunggu")
    await shot(console, "console-refused")

    # The visitor: Disdukcapil → KTP-el → lansia → phone on the keypad → ticket (double tap).
    kiosk = await open_page(
        browser, f"{base}/kiosk#kiosk-token=demo-kiosk-01", KIOSK, has_touch=True
    )
    await expect(kiosk.locator("[data-agency=disdukcapil]")).to_be_visible()
    await shot(kiosk, "kiosk-agencies")
    await kiosk.locator("[data-agency=disdukcapil]").click()
    await expect(kiosk.locator("[data-service=ktp-el]")).to_contain_text("0 menunggu")
    await shot(kiosk, "kiosk-services")
    await kiosk.locator("[data-service=ktp-el]").click()
    await expect(kiosk.locator("[data-priority=lansia]")).to_be_visible()
    await shot(kiosk, "kiosk-priority")
    await kiosk.locator("[data-priority=lansia]").click()
    for digit in "081234567890":
        await kiosk.locator("#keypad").get_by_role("button", name=digit, exact=True).click()
    await expect(kiosk.locator("#phone-display")).to_have_text("0812 3456 7890")
    await shot(kiosk, "kiosk-phone")
    await kiosk.locator("#take").dblclick()
    await expect(kiosk.locator("#ticket-number")).to_have_text("A-001")
    await expect(kiosk.locator("#ticket")).to_contain_text("Perkiraan dipanggil pukul")
    await expect(kiosk.locator("#ticket")).to_contain_text("Prioritas: Lansia")
    ticket_id = await kiosk.locator("#ticket").get_attribute("data-ticket-id")
    assert ticket_id
    await shot(kiosk, "kiosk-ticket")
    await kiosk.locator("#t-qr").evaluate("img => img.decode()")
    await kiosk.emulate_media(media="print")
    await kiosk.locator("#ticket").screenshot(path=str(SHOTS / "ticket-printed.png"))
    pdf = await kiosk.pdf(prefer_css_page_size=True, print_background=True)
    (SHOTS / "ticket-printed.pdf").write_bytes(pdf)
    # One page, 80 mm wide (227 pt): the @media print sheet fits the ticket on the thermal roll.
    assert re.findall(rb"/Count (\d+)", pdf) == [b"1"]
    assert re.search(rb"/MediaBox \[0 0 22[67]\.", pdf), "page is not 80 mm wide"
    await kiosk.emulate_media(media="screen")

    ticket = await api_get(ticketing, f"/api/v1/tickets/{ticket_id}")
    assert (ticket["number"], ticket["status"], ticket["priority"]) == (
        "A-001",
        "waiting",
        "lansia",
    )
    assert (await api_get(ticketing, "/api/v1/queues/ktp-el"))[
        "waiting"
    ] == 1  # one tap, one ticket
    async with httpx.AsyncClient(base_url=base) as http:
        qr = await http.get(f"/t/{ticket_id}/qr.svg")
    assert qr.headers["content-type"] == "image/svg+xml" and b"<svg" in qr.content

    # The visitor's phone follows the ticket; the console sees it waiting without a reload.
    status = await open_page(browser, f"{base}/t/{ticket_id}", PHONE, is_mobile=True)
    await expect(status.locator("#number")).to_have_text("A-001")
    await expect(status.locator("#ahead")).to_have_text("Tidak ada orang di depan Anda")
    await expect(status.locator("#eta")).to_contain_text(re.compile(r"pukul \d\d\.\d\d\sWITA"))
    await shot(status, "status-waiting")
    await expect(console.locator(f"li[data-ticket='{ticket_id}']")).to_be_visible(timeout=LIVE)
    await shot(console, "console-waiting")

    await console.keyboard.press("n")
    await expect(console.locator("#current-number")).to_have_text("A-001")
    assert (await api_get(ticketing, f"/api/v1/tickets/{ticket_id}"))["status"] == "called"
    await expect(status.locator("#headline")).to_have_text("Silakan menuju Loket 1", timeout=LIVE)
    await shot(console, "console-called")
    await shot(status, "status-called")

    await console.keyboard.press("m")
    await expect(console.locator("#current-detail")).to_contain_text("Sedang dilayani")
    assert (await api_get(ticketing, f"/api/v1/tickets/{ticket_id}"))["status"] == "serving"
    await expect(status.locator("#state")).to_have_text("Sedang dilayani", timeout=LIVE)

    await console.keyboard.press("s")
    await expect(console.locator("#message")).to_have_text("Nomor A-001 selesai dilayani")
    await expect(console.locator("#current-number")).to_have_text("—", timeout=LIVE)
    assert (await api_get(ticketing, f"/api/v1/tickets/{ticket_id}"))["status"] == "served"
    await expect(status.locator("#headline")).to_contain_text("Terima kasih", timeout=LIVE)
    await shot(status, "status-served")
    await shot(console, "console-finished")

    for page in (console, kiosk, status):
        assert js_errors(page) == [], page.url
        foreign = [u for u in getattr(page, "requested") if not u.startswith(base)]  # noqa: B009
        assert foreign == [], f"pages must load from ticketing alone (no CDN): {foreign}"


async def test_console_transfers_marks_no_show_and_returns_to_sign_in_when_refused(
    ticketing: ServiceProcess, browser: Browser
) -> None:
    first = await api_issue(ticketing, "kk")
    second = await api_issue(ticketing, "ktp-el")
    console = await open_page(browser, f"{ticketing.url}/counter/loket-1", LAPTOP)
    await sign_in(console, "demo-koordinator")
    await expect(console.locator("#officer")).to_contain_text("Koordinator MPP")
    await console.keyboard.press("b")
    await expect(console.locator("#state")).to_have_text("Buka", timeout=LIVE)

    # Call, then transfer to another service chosen in the picker (keyboard: A).
    await console.keyboard.press("n")
    await expect(console.locator("#current-number")).not_to_have_text("—")
    called = (await api_get(ticketing, "/api/v1/counters/loket-1"))["current_ticket"]
    called_id = called.get("ticket_id") or called.get("id")
    await console.keyboard.press("a")
    picker = console.locator("#picker")
    await expect(picker).to_be_visible()
    await shot(console, "console-transfer-picker")
    await picker.get_by_role("button", name=re.compile("Akta Kelahiran")).click()
    await expect(console.locator("#message")).to_contain_text("dialihkan ke Akta Kelahiran")
    moved = await api_get(ticketing, f"/api/v1/tickets/{called_id}")
    assert (moved["service_id"], moved["status"]) == ("akta", "waiting")

    # The other ticket: called, then marked no-show (keyboard: T).
    await console.keyboard.press("n")
    await expect(console.locator("#message")).to_contain_text("dipanggil")
    await console.keyboard.press("t")
    await expect(console.locator("#message")).to_contain_text("ditandai tidak hadir")
    other = {first["ticket_id"], second["ticket_id"]} - {called_id}
    assert len(other) == 1
    assert (await api_get(ticketing, f"/api/v1/tickets/{other.pop()}"))["status"] == "no_show"

    # Wrong state: start with nothing called is refused with the API's sentence.
    await console.keyboard.press("m")
    await expect(console.locator("#message")).to_contain_text("Belum ada nomor yang dipanggil")

    # Keyboard only: Tab walks header → actions, the focus ring shows, Enter acts.
    await console.locator("#sign-out").focus()
    await console.keyboard.press("Tab")
    await console.keyboard.press("Tab")
    recall = console.locator("#act-recall")
    await expect(recall).to_be_focused()
    ring = await recall.evaluate(
        "b => getComputedStyle(b).outlineStyle + ' ' + getComputedStyle(b).boxShadow"
    )
    assert ring.startswith("solid") and "none" not in ring, ring
    await console.locator("#message").evaluate("m => { m.textContent = ''; }")
    await console.keyboard.press("Enter")
    await expect(console.locator("#message")).to_contain_text("Belum ada nomor yang dipanggil")

    # Break with a reason from the picker, then a token no longer valid → back to sign-in.
    await console.keyboard.press("i")
    await console.locator("#picker").get_by_role("button", name="Salat").click()
    await expect(console.locator("#state")).to_have_text("Istirahat (salat)", timeout=LIVE)
    assert (await api_get(ticketing, "/api/v1/counters/loket-1"))["state"] == "break"
    await console.evaluate("sessionStorage.setItem('antre.token.loket-1', 'demo-kedaluwarsa')")
    await console.keyboard.press("b")
    await expect(console.locator("#signin-error")).to_contain_text("sudah tidak berlaku")
    await expect(console.locator("#desk")).to_be_hidden()
    await shot(console, "console-signed-out")
    assert (await api_get(ticketing, "/api/v1/counters/loket-1"))["state"] == "break"
    assert js_errors(console) == []


async def test_kiosk_shows_unavailable_services_and_goes_back_to_the_start_by_itself(
    ticketing: ServiceProcess, browser: Browser
) -> None:
    async def closed_samsat(route: Route) -> None:
        # Hours are not enforced in tests, so the catalog's verdicts are set here.
        catalog = await (await route.fetch()).json()
        verdicts = {"pkb-tahunan": "quota_exhausted", "pkb-5-tahunan": "closed"}
        for service in catalog["services"]:
            service["availability"] = verdicts.get(service["id"], service["availability"])
        await route.fulfill(json=catalog)

    context = await browser.new_context(viewport=KIOSK, has_touch=True)  # type: ignore[arg-type]
    await context.route("**/api/v1/catalog", closed_samsat)
    kiosk = await context.new_page()
    await kiosk.goto(f"{ticketing.url}/kiosk")
    await kiosk.locator("[data-agency=samsat]").click()
    exhausted = kiosk.locator("[data-availability=quota_exhausted]")
    await expect(exhausted).to_contain_text("Kuota hari ini habis")
    await expect(exhausted).to_have_attribute("aria-disabled", "true")
    await expect(kiosk.locator("[data-availability=closed]")).to_contain_text("di luar jam layanan")
    await shot(kiosk, "kiosk-unavailable")
    await exhausted.click(force=True)  # a refused tile does nothing
    await expect(kiosk.locator("#step-service")).to_be_visible()
    assert await kiosk.locator("#step-priority").is_hidden()
    kiosk = await open_page(
        browser, f"{ticketing.url}/kiosk?idle=2#kiosk-token=demo-kiosk-01", KIOSK, has_touch=True
    )
    await kiosk.locator("[data-agency=samsat]").click()
    await expect(kiosk.locator("#step-service")).to_be_visible()
    await expect(kiosk.locator("#step-agency")).to_be_visible(timeout=LIVE)
    await expect(kiosk.locator("#step-service")).to_be_hidden()


async def test_kiosk_and_console_ride_out_a_redis_restart_by_themselves(
    new_topic: Any, kafka_bootstrap: str, site_id: str, browser: Browser, tmp_path: Any
) -> None:
    """With Redis away ticketing answers 503 with Retry-After: the kiosk and the console say
    so in Bahasa and send the same request again (same Idempotency-Key) until it works."""
    redis = PrivateRedis(tmp_path / "redis").start()
    port = free_port()
    service = ServiceProcess(
        "ticketing", port,
        {"TICKETING_KAFKA_BOOTSTRAP": kafka_bootstrap, "TICKETING_REDIS_URL": redis.url,
         "TICKETING_TOPIC": await new_topic(), "TICKETING_SITE_ID": site_id,
         "TICKETING_ENFORCE_HOURS": "false", "TICKETING_PORT": str(port)},
    )  # fmt: skip
    await asyncio.to_thread(service.start)
    try:
        console = await open_page(browser, f"{service.url}/counter/loket-1", LAPTOP)
        await sign_in(console, "demo-loket-01")
        await expect(console.locator("#officer")).to_contain_text("Rahmawati")
        await console.keyboard.press("b")
        await expect(console.locator("#state")).to_have_text("Buka", timeout=LIVE)
        kiosk = await open_page(
            browser, f"{service.url}/kiosk#kiosk-token=demo-kiosk-01", KIOSK, has_touch=True
        )
        await kiosk.locator("[data-agency=disdukcapil]").click()
        await kiosk.locator("[data-service=ktp-el]").click()
        await kiosk.locator("[data-priority=regular]").click()
        await api_issue(service, "ktp-el")  # A-001 waits: the console will call it

        redis.kill()
        await kiosk.locator("#skip").click()
        await expect(kiosk.locator("#phone-error")).to_contain_text(
            "Sistem sedang memulihkan diri", timeout=LIVE
        )
        await shot(kiosk, "kiosk-retrying")
        await console.keyboard.press("n")
        await expect(console.locator("#message")).to_contain_text("Sistem sedang memulihkan diri")
        await expect(console.locator("#message")).to_have_class("waiting")
        # The press is on its way: the other buttons say they wait (a press is not taken).
        await expect(console.locator("#act-call_next")).to_have_attribute("aria-busy", "true")
        await expect(console.locator("#act-finish")).to_have_attribute("aria-disabled", "true")
        await shot(console, "console-busy")
        redis.start()

        await expect(kiosk.locator("#ticket-number")).to_have_text("A-002", timeout=LIVE * 2)
        await expect(console.locator("#current-number")).to_have_text("A-001", timeout=LIVE * 2)
        await expect(console.locator("#act-finish")).not_to_have_attribute("aria-disabled", "true")
        queue = await api_get(service, "/api/v1/queues/ktp-el")
        counter = await api_get(service, "/api/v1/counters/loket-1")
        # One ticket per tap and one call per press, however many times they were sent.
        assert queue["waiting"] == 1 and counter["current_ticket"]["number"] == "A-001"
        assert js_errors(kiosk) == [] and js_errors(console) == []
    finally:
        await asyncio.to_thread(service.stop)
        redis.kill()
