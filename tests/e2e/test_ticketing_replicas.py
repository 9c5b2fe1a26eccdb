"""Two ticketing processes on one site, as replicas behind one address run: an Idempotency-Key
answered by one is answered the same by the other (one ticket, one event), exactly one of them
relays the outbox, and each process's /metrics is its own."""

from typing import Any

import httpx
import pytest

from tests.support.demo import DEMO_CREDENTIALS
from tests.support.kafka import read_topic
from tests.support.processes import hall_services
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


def gauge(text: str, name: str) -> float:
    return next(
        float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " ")
    )


async def test_two_replicas_share_idempotency_and_one_of_them_relays(
    new_topic: Any, site_id: str, kafka_bootstrap: str
) -> None:
    topic = await new_topic()
    one, two = (hall_services(topic, topic, site_id)["ticketing"] for _ in range(2))
    try:
        one.start()
        two.start()
        body, key = {"service_id": "ktp-el"}, {"Idempotency-Key": f"replica-{site_id}"}
        answers = []
        for proc in (one, two):
            async with httpx.AsyncClient(base_url=proc.url, event_hooks=DEMO_CREDENTIALS) as http:
                answers.append(await http.post("/api/v1/tickets", json=body, headers=key))
        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
        assert answers[0].json()["ticket_id"] == answers[1].json()["ticket_id"]

        async with httpx.AsyncClient() as http:

            async def one_leads() -> bool:
                texts = [(await http.get(p.url + "/metrics")).text for p in (one, two)]
                return sorted(gauge(t, "antre_outbox_relay_leading") for t in texts) == [0, 1]

            await eventually(one_leads, "exactly one replica relaying")
        issued = [e for e in await read_topic(kafka_bootstrap, topic)
                  if e["type"] == "antre.ticket.issued"]  # fmt: skip
        assert [e["subject"] for e in issued] == [answers[0].json()["ticket_id"]]
    finally:
        one.stop()
        two.stop()
