"""The counter's tools in Debian's Chromium: Parkir, the parked panel, Panggil nomor…, the
officer's own figures, and the coordinator's page with its CSV.

Ticketing runs as a process on the real Kafka (a topic of the test's own) and Redis (a site id of
its own). Rahmawati (loket-1) parks a KTP-el ticket; Budi (loket-2, which serves KTP-el too) sees
it in his parked panel and calls it back; Rahmawati calls a waiting number out of turn; both
consoles' figures follow; the coordinator's page shows every officer's row as the API gives it
and saves the same CSV. Screenshots land in test-artifacts/screenshots/tools-*.png.
"""

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_kiosk_console import (
    LAPTOP,
    LIVE,
    PHONE,
    api_issue,
    browser,  # noqa: F401  (the fixture)
    js_errors,
    open_page,
    shot,
    sign_in,
    ticketing,  # noqa: F401  (the fixture)
)
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e
TABLET = {"width": 820, "height": 1180}


async def get_as(service: ServiceProcess, token: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as http:
        response = await http.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response


def same(value: Any) -> Any:
    """A figure as the page's data-value holds it and as the API gives it, comparable: numbers
    as floats (JavaScript writes 3.0 as "3"), none as ""."""
    if value is None or value == "":
        return ""
    try:
        return float(value)
    except ValueError:
        return value


async def open_console(chromium: Browser, service: ServiceProcess, counter: str, token: str,
                       viewport: dict[str, int] = LAPTOP) -> Page:  # fmt: skip
    console = await open_page(chromium, f"{service.url}/counter/{counter}", viewport)
    await sign_in(console, token)
    await expect(console.locator("#desk")).to_be_visible()
    await console.keyboard.press("b")
    await expect(console.locator("#state")).to_have_text("Buka", timeout=LIVE)
    return console


async def test_park_call_back_call_by_number_figures_and_the_coordinators_page(
    ticketing: ServiceProcess,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    tickets = [await api_issue(ticketing, "ktp-el") for _ in range(3)]
    assert [t["number"] for t in tickets] == ["A-001", "A-002", "A-003"]
    first, _, third = (t["ticket_id"] for t in tickets)
    one = await open_console(browser, ticketing, "loket-1", "demo-loket-01")
    two = await open_console(browser, ticketing, "loket-2", "demo-loket-02")

    # Parkir is for a called or served ticket only.
    await expect(one.locator("#act-park")).to_be_disabled()
    await expect(one.locator("#parked")).to_contain_text("Tidak ada nomor yang diparkir")
    await one.keyboard.press("n")
    await expect(one.locator("#current-number")).to_have_text("A-001")
    await expect(one.locator("#act-park")).to_be_enabled(timeout=LIVE)

    # Rahmawati parks A-001: a reason must be chosen before the confirmation.
    await one.keyboard.press("p")
    park = one.locator("#park-dialog")
    await expect(park).to_be_visible()
    await expect(park.locator("h2")).to_have_text("Parkir nomor A-001")
    await expect(park.locator("#park-submit")).to_be_disabled()
    await park.get_by_label("Fotokopi dokumen").check()
    await expect(park.locator("#park-submit")).to_be_enabled()
    await shot(one, "tools-park-dialog")
    await park.locator("#park-submit").click()
    await expect(park).to_be_hidden()
    await expect(one.locator("#message")).to_have_text("Nomor A-001 diparkir (fotokopi dokumen)")
    await expect(one.locator("#current-number")).to_have_text("—", timeout=LIVE)
    ticket = (await get_as(ticketing, "demo-koordinator", f"/api/v1/tickets/{first}")).json()
    assert ticket["status"] == "parked"
    # The visitor's status page says so, and what to do.
    status = await open_page(browser, f"{ticketing.url}/t/{first}", PHONE)
    await expect(status.locator("#state")).to_have_text("Diparkir", timeout=LIVE)
    await expect(status.locator("#headline")).to_contain_text("lalu kembali ke loket")
    await shot(status, "tools-status-parked")

    # It waits in loket-2's parked panel (the same service), with its reason and since when.
    parked = two.locator(f"#parked li[data-ticket='{first}']")
    await expect(parked).to_contain_text("A-001", timeout=LIVE)
    await expect(parked).to_contain_text("Fotokopi dokumen")
    await expect(parked).to_contain_text(re.compile(r"sejak \d\d\.\d\d"))
    await expect(parked).to_contain_text("KTP-el")
    await shot(two, "tools-parked-panel")

    # Budi calls it back with the panel's Panggil button.
    await parked.get_by_role("button", name="Panggil A-001 kembali dari parkir").click()
    await expect(two.locator("#message")).to_contain_text("Nomor A-001 dipanggil")
    await expect(two.locator("#message")).to_contain_text("kembali dari parkir")
    await expect(two.locator("#current-number")).to_have_text("A-001", timeout=LIVE)
    await expect(two.locator("#parked")).to_contain_text("Tidak ada nomor", timeout=LIVE)
    await expect(one.locator("#parked")).to_contain_text("Tidak ada nomor", timeout=LIVE)
    ticket = (await get_as(ticketing, "demo-koordinator", f"/api/v1/tickets/{first}")).json()
    assert (ticket["status"], ticket["counter_id"]) == ("called", "loket-2")
    counter = (await get_as(ticketing, "demo-koordinator", "/api/v1/counters/loket-2")).json()
    assert counter["current_ticket"]["number"] == "A-001"

    # Panggil nomor…: a number not of today is refused in the dialog with the API's sentence.
    await one.keyboard.press("o")
    dialog = one.locator("#call-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("#call-suggest")).to_contain_text("A-002")
    await dialog.get_by_label("Nomor antrean").fill("a99")
    await expect(dialog.get_by_label("Nomor antrean")).to_have_value("A99")  # typed uppercase
    await expect(dialog.get_by_label("Alasan")).to_have_value("terlambat")
    await dialog.get_by_role("button", name="Panggil", exact=True).click()
    await expect(dialog.locator("#call-error")).to_have_text(
        "Nomor A-099 tidak ditemukan di antrean hari ini. Periksa nomornya."
    )
    await expect(dialog).to_be_visible()
    await shot(one, "tools-call-number-refused")
    await dialog.get_by_role("button", name="Batal").click()
    await expect(dialog).to_be_hidden()

    # Clicking a waiting number fills the dialog; A-003 is called ahead of A-002: out of order.
    await one.locator(f"li[data-ticket='{third}'] button.num").click()
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Nomor antrean")).to_have_value("A-003")
    await dialog.get_by_label("Alasan").select_option(label="Keperluan mendesak")
    await shot(one, "tools-call-number-dialog")
    await dialog.get_by_role("button", name="Panggil", exact=True).click()
    await expect(dialog).to_be_hidden()
    await expect(one.locator("#message")).to_have_text("Nomor A-003 dipanggil (keperluan mendesak)")
    await expect(one.locator("#current-number")).to_have_text("A-003", timeout=LIVE)
    assert (await get_as(ticketing, "demo-koordinator", f"/api/v1/tickets/{third}")).json()[
        "status"
    ] == "called"
    queue = (await get_as(ticketing, "demo-koordinator", "/api/v1/queues/ktp-el")).json()
    assert queue["waiting"] == 1  # A-002 still waits

    # Both serve theirs; each console's own figures follow after the action.
    for console in (one, two):
        await console.keyboard.press("m")
        await expect(console.locator("#current-detail")).to_contain_text("Sedang dilayani")
        await console.keyboard.press("s")
        await expect(console.locator("#message")).to_contain_text("selesai dilayani")
    figures = one.locator("#figures")
    await expect(figures.locator("[data-figure=served] dd")).to_have_text("1", timeout=LIVE)
    await expect(figures.locator("[data-figure=parked] dd")).to_have_text("1")
    await expect(figures.locator("[data-figure=no_show] dd")).to_have_text("0")
    await expect(figures.locator("[data-figure=transferred] dd")).to_have_text("0")
    await expect(figures.locator("[data-figure=mean_service] dd")).to_have_text(
        re.compile(r"^\d+,\d mnt$")
    )
    await expect(figures.locator("[data-figure=mean_wait] dd")).to_have_text(
        re.compile(r"^\d+,\d mnt$")
    )
    own = (await get_as(ticketing, "demo-loket-01", "/api/v1/counters/loket-1/figures")).json()
    assert (own["served"], own["parked"], own["called"], own["out_of_order"]) == (1, 1, 2, 1)
    await expect(two.locator("#figures [data-figure=served] dd")).to_have_text("1", timeout=LIVE)
    await expect(two.locator("#figures [data-figure=parked] dd")).to_have_text("0")
    await shot(one, "tools-console-figures")
    await shot(two, "tools-console-called-back")

    # The coordinator's page: an officer who is not a coordinator is refused with the reason.
    page = await open_page(browser, f"{ticketing.url}/koordinator", LAPTOP)
    await page.get_by_label("Token koordinator").fill("demo-loket-01")
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await expect(page.locator("#signin-error")).to_contain_text("hanya untuk koordinator MPP")
    await shot(page, "tools-coordinator-refused")
    await page.get_by_label("Token koordinator").fill("demo-koordinator")
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await expect(page.locator("#report")).to_be_visible()
    await expect(page.locator("#rows tr")).to_have_count(2)

    api = (await get_as(ticketing, "demo-koordinator", "/api/v1/figures/officers")).json()
    assert await page.locator("#day").input_value() == api["day"]
    assert [r["officer_id"] for r in api["officers"]] == ["petugas-01", "petugas-02"]
    for row in api["officers"]:
        tr = page.locator(f"#rows tr[data-officer='{row['officer_id']}']")
        cells = tr.locator("[data-field]")
        shown: dict[str, Any] = {}
        for i in range(await cells.count()):
            field = await cells.nth(i).get_attribute("data-field")
            shown[field or ""] = await cells.nth(i).get_attribute("data-value")
        assert {k: same(v) for k, v in shown.items()} == {k: same(row[k]) for k in shown}, row
        assert set(shown) >= {
            "officer_name", "served", "no_show", "transferred", "parked",
            "mean_service_s", "p90_service_s", "mean_wait_s", "out_of_order",
        }  # fmt: skip
    flagged = page.locator("#rows tr[data-officer='petugas-01'] td[data-field=out_of_order]")
    await expect(flagged).to_have_class(re.compile(r"\bflag\b"))
    await expect(
        page.locator("#rows tr[data-officer='petugas-02'] td[data-field=out_of_order]")
    ).not_to_have_class(re.compile(r"\bflag\b"))
    await expect(page.locator("#rows tr[data-officer='petugas-01'] th")).to_have_text("Rahmawati")
    await expect(page.locator(".defs")).to_contain_text("Panggilan di luar urutan")
    await shot(page, "tools-coordinator", full_page=True)

    # Unduh CSV: fetched with the token, saved as the API's file.
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Unduh CSV").click()
    download = await download_info.value
    assert download.suggested_filename == f"kinerja-petugas-{api['day']}.csv"
    saved = await download.path()
    csv = await get_as(ticketing, "demo-koordinator", "/api/v1/figures/officers.csv")
    assert saved.read_bytes() == csv.content
    assert csv.text.splitlines()[0].startswith("day,officer_id,officer_name,served")

    # Another day shows nobody's figures; the page says so.
    await page.locator("#day").fill("2026-01-05")
    await page.locator("#show").click()
    await expect(page.locator("#none")).to_be_visible()
    await expect(page.locator("#none")).to_have_text(
        "Belum ada angka kinerja petugas pada tanggal ini."
    )

    # On a phone and a tablet the pages stack and stay usable.
    phone = await open_page(browser, f"{ticketing.url}/koordinator", PHONE, is_mobile=True)
    await phone.get_by_label("Token koordinator").fill("demo-koordinator")
    await phone.get_by_role("button", name="Masuk", exact=True).click()
    await expect(phone.locator("#rows tr")).to_have_count(2)
    await shot(phone, "tools-coordinator-phone", full_page=True)
    tablet = await open_console(browser, ticketing, "loket-1", "demo-loket-01", TABLET)
    await expect(tablet.locator("#figures [data-figure=served] dd")).to_have_text("1")
    await tablet.keyboard.press("o")
    await expect(tablet.locator("#call-dialog")).to_be_visible()
    await shot(tablet, "tools-console-tablet-dialog")

    for p in (one, two, page, phone, tablet):
        assert js_errors(p) == [], p.url
        foreign = [u for u in getattr(p, "requested") if not u.startswith(ticketing.url)]  # noqa: B009
        assert foreign == [], f"pages must load from ticketing alone (no CDN): {foreign}"
