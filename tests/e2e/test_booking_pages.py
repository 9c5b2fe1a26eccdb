"""Online booking in Debian's Chromium: ticketing as a process on the real Kafka and Redis.

A visitor books KTP-el on a phone-sized screen and keeps the code. Ticketing is then started
again as on the booked day, a little after the slot began (TICKETING_CLOCK_OFFSET_S: the same
Redis, the clock moved on). At the kiosk the visitor types the code and gets a ticket; the
officer at loket-1 calls it first, ahead of a walk-in who came earlier, adds BPJS Kesehatan to
the visit and finishes; the status page lists the visit and loket-6 (BPJS) calls the same
number. A second check-in answers the same ticket. Screenshots land in
test-artifacts/screenshots/booking-*.png.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.test_kiosk_console import (
    KIOSK,
    LAPTOP,
    PHONE,
    api_get,
    api_issue,
    browser,  # noqa: F401  (the fixture)
    js_errors,
    open_page,
    shot,
    sign_in,
)
from tests.support.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
async def env(new_topic: Any, kafka_bootstrap: str, site_id: str) -> AsyncIterator[dict[str, str]]:
    port = free_port()
    yield {
        "TICKETING_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TICKETING_TOPIC": await new_topic(),
        "TICKETING_SITE_ID": site_id,
        "TICKETING_ENFORCE_HOURS": "false",
        "TICKETING_PORT": str(port),
    }


async def started(env: dict[str, str], **more: str) -> ServiceProcess:
    service = ServiceProcess("ticketing", int(env["TICKETING_PORT"]), {**env, **more})
    await asyncio.to_thread(service.start)
    return service


async def test_book_on_a_phone_check_in_at_the_kiosk_and_be_called_first(
    env: dict[str, str],
    browser: Browser,  # noqa: F811
) -> None:
    ticketing = await started(env)
    try:
        phone = await open_page(browser, f"{ticketing.url}/booking", PHONE)
        await expect(phone.locator("h1")).to_have_text("Pesan Antrean Daring")
        await phone.get_by_role("button", name="Disdukcapil").click()
        await phone.get_by_role("button", name="Perekaman & Pencetakan KTP-el").click()
        day_button = phone.locator("#days button").first
        await day_button.click()
        await expect(phone.locator("#slots button").first).to_be_enabled()
        await shot(phone, "booking-1-slots", full_page=True)
        await phone.locator("#slots button:not([disabled])").first.click()
        await phone.locator("#phone").fill("0812 3456 7890")
        await shot(phone, "booking-2-phone", full_page=True)
        await phone.get_by_role("button", name="Pesan sekarang").click()
        await expect(phone.locator("#step-done")).to_be_visible()
        await expect(phone.locator("#h-done")).to_have_text("Pemesanan berhasil")
        code = (await phone.locator("#code").inner_text()).strip()
        assert len(code) == 9 and code[4] == "-", code
        await expect(phone.locator("#qr")).to_have_js_property("complete", True)
        assert await phone.locator("#qr").evaluate("img => img.naturalWidth") > 0
        await shot(phone, "booking-3-code", full_page=True)
        booking = await api_get(ticketing, f"/api/v1/bookings/{code}")
        assert booking["status"] == "booked" and booking["service_id"] == "ktp-el"
        # The same phone cannot take a second place for that service and day.
        await phone.reload()
        await phone.get_by_role("button", name="Disdukcapil").click()
        await phone.get_by_role("button", name="Perekaman & Pencetakan KTP-el").click()
        await phone.locator("#days button").first.click()
        await phone.locator("#slots button:not([disabled])").nth(1).click()
        await phone.locator("#phone").fill("081234567890")
        await phone.get_by_role("button", name="Pesan sekarang").click()
        await expect(phone.locator("#error")).to_contain_text("sudah memiliki pemesanan")
        assert js_errors(phone) == []
    finally:
        await asyncio.to_thread(ticketing.stop)

    # The booked day, two minutes after the slot began.
    start = datetime.fromisoformat(booking["slot_start"])
    offset = (start - datetime.now(UTC)).total_seconds() + 120
    ticketing = await started(env, TICKETING_CLOCK_OFFSET_S=str(offset))
    try:
        walk_in = await api_issue(ticketing, "ktp-el")  # came earlier, walked in
        kiosk = await open_page(browser, f"{ticketing.url}/kiosk#kiosk-token=demo-kiosk-01", KIOSK)
        await kiosk.get_by_role("button", name="Sudah pesan antrean daring?").click()
        for ch in code.replace("-", ""):
            await kiosk.locator("#code-keys").get_by_role("button", name=ch, exact=True).click()
        await expect(kiosk.locator("#booking-code")).to_have_value(code)
        await shot(kiosk, "booking-4-kiosk-code")
        await kiosk.get_by_role("button", name="Ambil nomor antrean").click()
        number = kiosk.locator("#ticket-number")
        await expect(number).to_have_text("A-002")
        await expect(kiosk.locator("#t-booking")).to_contain_text(f"Antrean daring {code}")
        await shot(kiosk, "booking-5-kiosk-ticket")
        assert js_errors(kiosk) == []

        console = await open_page(browser, f"{ticketing.url}/counter/loket-1", LAPTOP)
        await sign_in(console, "demo-loket-01")
        await console.get_by_role("button", name="Buka loket").click()
        # The console ignores a press while an action is in flight: wait until it is open.
        await expect(console.locator("#state")).to_have_text("Buka", timeout=15_000)
        await console.get_by_role("button", name="Panggil berikutnya").click()
        await expect(console.locator("#current-number")).to_have_text("A-002")
        await shot(console, "booking-6-console-called")

        # The visitor also needs BPJS Kesehatan: the officer adds it, then finishes.
        await console.locator("#act-add_step").click()
        await (
            console.locator("#picker-options")
            .get_by_role("button", name="Layanan Peserta JKN-KIS")
            .click()
        )
        await expect(console.locator("#message")).to_contain_text("ditambahkan ke kunjungan")
        await console.locator("#act-finish").click()
        await expect(console.locator("#message")).to_contain_text("berikutnya ke BPJS Kesehatan")
        await shot(console, "booking-7-console-next-step")
        assert js_errors(console) == []

        checked = await api_get(ticketing, f"/api/v1/bookings/{code}")
        status = await open_page(browser, f"{ticketing.url}/t/{checked['ticket_id']}", PHONE)
        await expect(status.locator("#visit li")).to_have_count(2)
        await expect(status.locator("#visit li").nth(1)).to_contain_text("BPJS Kesehatan")
        await expect(status.locator("#visit li").nth(1)).to_contain_text("sekarang")
        await shot(status, "booking-8-status-visit", full_page=True)

        bpjs = await open_page(browser, f"{ticketing.url}/counter/loket-6", LAPTOP)
        await sign_in(bpjs, "demo-loket-06")
        await bpjs.get_by_role("button", name="Buka loket").click()
        # The console ignores a press while an action is in flight: wait until it is open.
        await expect(bpjs.locator("#state")).to_have_text("Buka", timeout=15_000)
        await bpjs.get_by_role("button", name="Panggil berikutnya").click()
        await expect(bpjs.locator("#current-number")).to_have_text("A-002")
        await expect(status.locator("#headline")).to_contain_text("Loket 6", timeout=15_000)
        await shot(bpjs, "booking-9-second-agency-called")
        assert js_errors(bpjs) == [] and js_errors(status) == []

        async with httpx.AsyncClient(base_url=ticketing.url, timeout=10) as http:
            again = await http.post(
                f"/api/v1/bookings/{code}/check-in",
                headers={"Authorization": "Bearer demo-kiosk-01"},
            )
        assert again.status_code == 201 and again.json()["ticket"]["number"] == "A-002"
        assert again.json()["ticket"]["service_id"] == "jkn"  # the same ticket, now at BPJS
        waiting = await api_get(ticketing, f"/api/v1/tickets/{walk_in['ticket_id']}")
        assert waiting["status"] == "waiting"
    finally:
        await asyncio.to_thread(ticketing.stop)
