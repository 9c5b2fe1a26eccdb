"""The satisfaction survey in Debian's Chromium: ticketing and the survey as processes on the
real Kafka and Redis. A ticket is served at loket-1 and answered on the counter's tablet;
another is answered from the visitor's phone, through the status page's link; a second answer
and a ticket never served are refused; the IKM page and the API agree and the page prints to
PDF. Screenshots land in test-artifacts/screenshots/survey-*.png."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_kiosk_console import (
    LAPTOP,
    PHONE,
    SHOTS,
    api_issue,
    browser,  # noqa: F401  (the fixture)
    js_errors,
    open_page,
    shot,
)
from tests.support.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e
TABLET = {"width": 1280, "height": 800}
OFFICER = {"Authorization": "Bearer demo-loket-01"}
# The answer words the visitor touches, per element U1..U9 (texts.py: the Permen's words).
Services = tuple[ServiceProcess, ServiceProcess]


@pytest.fixture
async def services(new_topic: Any, kafka_bootstrap: str, site_id: str) -> AsyncIterator[Services]:
    topic = await new_topic()
    answers = await new_topic("survey.answers", 3)
    tk_port, sv_port = free_port(), free_port()
    survey = ServiceProcess("survey", sv_port, {
        "SURVEY_KAFKA_BOOTSTRAP": kafka_bootstrap, "SURVEY_TOPIC": topic,
        "SURVEY_ANSWERS_TOPIC": answers, "SURVEY_SITE_ID": site_id,
        "SURVEY_GROUP_ID": f"survey-{site_id}", "SURVEY_PORT": str(sv_port),
        "SURVEY_DEAD_LETTER_TOPIC": await new_topic("dlq", 1),
    })  # fmt: skip
    ticketing = ServiceProcess("ticketing", tk_port, {
        "TICKETING_KAFKA_BOOTSTRAP": kafka_bootstrap, "TICKETING_TOPIC": topic,
        "TICKETING_SITE_ID": site_id, "TICKETING_ENFORCE_HOURS": "false",
        "TICKETING_PORT": str(tk_port), "TICKETING_SURVEY_URL": f"{survey.url}/s/{{ticket_id}}",
    })  # fmt: skip
    await asyncio.gather(asyncio.to_thread(ticketing.start), asyncio.to_thread(survey.start))
    try:
        yield ticketing, survey
    finally:
        await asyncio.gather(asyncio.to_thread(ticketing.stop), asyncio.to_thread(survey.stop))


async def serve(ticketing: ServiceProcess, service_id: str = "ktp-el") -> dict[str, Any]:
    """Issue a ticket, call it at loket-1 and finish it served (the officer's API)."""
    ticket = await api_issue(ticketing, service_id)
    async with httpx.AsyncClient(base_url=ticketing.url, headers=OFFICER, timeout=10) as http:
        for action in ("open", "call-next", "finish"):
            r = await http.post(
                f"/api/v1/counters/loket-1/{action}",
                json=None if action != "finish" else {"outcome": "served"},
            )
            assert r.status_code in (200, 409) if action == "open" else r.status_code == 200, r.text
    return ticket


async def answer(page: Page, words: list[str]) -> None:
    """Touch one answer per question, by its words, as a visitor does."""
    for i, word in enumerate(words, start=1):
        question = page.locator(f"#q-U{i}")
        await question.get_by_role("radio", name=word, exact=True).check()


async def test_a_served_visitor_answers_at_the_tablet_and_another_by_phone(
    services: Services,
    browser: Browser,  # noqa: F811
) -> None:
    ticketing, survey = services
    tablet = await open_page(
        browser, f"{survey.url}/survey/loket-1#tablet-token=demo-tablet-01", TABLET
    )
    await expect(tablet.locator("#waiting")).to_be_visible()
    await shot(tablet, "survey-tablet-waiting")

    first = await serve(ticketing)
    await expect(tablet.locator("#for-ticket")).to_contain_text(first["number"], timeout=15_000)
    await expect(tablet.get_by_role("group")).to_have_count(10)  # nine questions, "about you"
    # Sending with a question unanswered says so and keeps the answers given.
    await answer(tablet, ["Sangat sesuai", "Mudah"])
    await tablet.get_by_role("button", name="Kirim jawaban").click()
    await expect(tablet.locator("#message")).to_contain_text("Mohon jawab semua pertanyaan")
    await answer(tablet, ["Sangat sesuai", "Mudah", "Cepat", "Gratis", "Sesuai", "Kompeten",
                          "Sangat sopan dan ramah", "Dikelola dengan baik", "Baik"])  # fmt: skip
    await tablet.get_by_label("Jenis kelamin").select_option("female")
    await shot(tablet, "survey-tablet-form", full_page=True)
    await tablet.get_by_role("button", name="Kirim jawaban").click()
    await expect(tablet.locator("#thanks")).to_be_visible()
    await shot(tablet, "survey-tablet-thanks")
    await expect(tablet.locator("#waiting")).to_be_visible(timeout=15_000)  # ready for the next

    # The next visitor takes the SMS / status link on a phone.
    second = await serve(ticketing)
    phone = await open_page(browser, f"{ticketing.url}/t/{second['ticket_id']}", PHONE)
    link = phone.get_by_role("link", name="Isi survei kepuasan")
    await expect(link).to_be_visible(timeout=15_000)
    await shot(phone, "survey-phone-status")
    await link.click()
    await expect(phone.locator("#for-ticket")).to_contain_text(second["number"], timeout=15_000)
    words = ["Sesuai", "Kurang mudah", "Kurang cepat", "Gratis", "Sesuai", "Kompeten",
             "Sopan dan ramah", "Berfungsi kurang maksimal", "Cukup"]  # fmt: skip
    await answer(phone, words)
    await phone.get_by_label("Saran dan masukan").fill("Kursi tunggu kurang.")
    await shot(phone, "survey-phone-form", full_page=True)
    await phone.get_by_role("button", name="Kirim jawaban").click()
    await expect(phone.locator("#thanks")).to_be_visible()
    await shot(phone, "survey-phone-thanks")
    # A second answer from the same link is refused kindly; so is a ticket never served.
    await phone.reload()
    await expect(phone.locator("#notice-text")).to_contain_text("sudah diisi")
    await phone.goto(f"{survey.url}/s/20261203-A999-{uuid.uuid4().hex[:24]}")
    await expect(phone.locator("#notice-text")).to_contain_text("belum pernah selesai dilayani")
    await shot(phone, "survey-phone-never-served")
    async with httpx.AsyncClient(base_url=survey.url, timeout=10) as http:
        again = await http.post(f"/api/v1/tickets/{second['ticket_id']}/answers",
                                json={"scores": {f"U{i}": 1 for i in range(1, 10)}})  # fmt: skip
        assert again.status_code == 200 and again.json()["repeat"]
        api = (await http.get("/api/v1/ikm")).json()
    assert js_errors(tablet) == [] and js_errors(phone) == []

    await serve(ticketing)  # a third visitor who does not answer: 2 respondents of 3 served
    # The IKM: first (4,3,3,4,3,3,4,4,3) and second (3,2,2,4,3,3,3,3,2): NRR per element
    # 3.5 2.5 2.5 4 3 3 3.5 3.5 2.5 → sum 28/9 = 3.1111 → IKM 77.78, B.
    overall = api["overall"]["ikm"]
    assert overall["respondents"] == 2 and overall["rounded"] == 77.78 and overall["letter"] == "B"

    async def three_served() -> bool:
        async with httpx.AsyncClient(base_url=survey.url, timeout=10) as http:
            return bool((await http.get("/api/v1/ikm")).json()["overall"]["population"] == 3)

    for _ in range(100):
        if await three_served():
            break
        await asyncio.sleep(0.1)
    report = await open_page(browser, f"{survey.url}/ikm", LAPTOP)
    await expect(report.locator(".ikm").first).to_have_attribute("data-ikm", "77.78")
    # 3 served ask for all 3 (Krejcie–Morgan below 10: everyone); 2 answered: said so.
    await expect(report.locator(".warn").first).to_contain_text("(2 dari 3)")
    await shot(report, "survey-ikm-page", full_page=True)
    pdf = await report.pdf(format="A4", print_background=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "survey-ikm.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") <= 3
    assert js_errors(report) == []
