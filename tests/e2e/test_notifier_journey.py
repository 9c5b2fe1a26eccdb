"""A visitor's SMS journey through the real services: ticketing issues and calls through its
HTTP API, the notifier sends through the real Kannel, fakesmsc receives."""

import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.integration.notifier.helpers import Fakesmsc, notifier_env, unique_phone
from tests.support.demo import DEMO_CREDENTIALS
from tests.support.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e
OFFICER = {"Authorization": "Bearer demo-loket-01"}


async def test_ticket_issued_moved_to_third_and_called_gets_exactly_three_sms_in_order(
    new_topic: Callable[..., Awaitable[str]], site_id: str
) -> None:
    topic, dlq = await new_topic("queue.events"), await new_topic("queue.events.dlq", 1)
    tport, nport = free_port(), free_port()
    ticketing = ServiceProcess(
        "ticketing", tport,
        {"TICKETING_TOPIC": topic, "TICKETING_SITE_ID": site_id,
         "TICKETING_PORT": str(tport), "TICKETING_ENFORCE_HOURS": "false"},
    )  # fmt: skip
    notifier = ServiceProcess("notifier", nport, notifier_env(topic, dlq, NOTIFIER_PORT=str(nport)))
    sms, phone = Fakesmsc(), unique_phone()
    with ticketing, notifier:
        api = httpx.AsyncClient(base_url=ticketing.url, timeout=10, event_hooks=DEMO_CREDENTIALS)

        async def issue(phone: str | None = None) -> dict[str, object]:
            body = {"service_id": "ktp-el", "priority": "regular", "channel": "kiosk"}
            if phone:
                body["phone"] = "0" + phone[3:]  # as typed at the kiosk: 0812...
            r = await api.post(
                "/api/v1/tickets", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
            )
            assert r.status_code == 201, r.text
            return dict(r.json())

        async def call_next(finish: bool = True) -> dict[str, object]:
            r = await api.post("/api/v1/counters/loket-1/call-next", headers=OFFICER)
            assert r.status_code == 200, r.text
            if finish:  # the visitor does not come: the counter may call the next one
                f = await api.post(
                    "/api/v1/counters/loket-1/finish", json={"outcome": "no_show"}, headers=OFFICER
                )
                assert f.status_code == 200, f.text
            return dict(r.json())

        for _ in range(4):
            await issue()
        mine = await issue(phone)
        assert mine["people_ahead"] == 4
        opened = await api.post("/api/v1/counters/loket-1/open", headers=OFFICER)
        assert opened.status_code == 200
        await call_next()  # A-001 called: mine is 4th
        await call_next()  # A-002 called: mine is 3rd -> near-turn SMS
        got = await sms.wait_for({phone}, lambda m: len(m) >= 2)
        await call_next()
        await call_next()  # mine is next
        called = await call_next(finish=False)
        assert mine["number"] in str(called)
        got = await sms.wait_for({phone}, lambda m: len(m) >= 3)
        texts = [t for _, t in got]
        number = mine["number"]
        assert texts[0].startswith(f"Nomor antrean {number} (Disdukcapil, Perekaman & Pencetakan")
        assert "4 orang di depan Anda, perkiraan dipanggil pukul " in texts[0]
        assert texts[0].endswith(" WITA.")
        assert texts[1:] == [
            f"Nomor antrean {number}: giliran Anda sudah dekat, tinggal 2 orang lagi. "
            "Silakan menunggu di dekat loket Disdukcapil.",
            f"Nomor antrean {number} dipanggil. Silakan menuju loket 1 (Disdukcapil).",
        ]
        assert {to for to, _ in got} == {phone}
        await api.aclose()
