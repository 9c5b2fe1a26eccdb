"""The notifier applies each queue strictly in sequence, and its generic HTTP gateway never sends
an SMS twice after a timeout (real Kafka, Redis; a real HTTP server of the test's own)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from tests.integration.notifier.conftest import NotifierFactory
from tests.integration.notifier.helpers import (
    Events,
    Fakesmsc,
    dead_letters,
    metric,
    produce,
    unique_phone,
)
from tests.support.processes import free_port


async def test_an_event_sent_again_behind_a_later_one_still_gets_its_sms(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    """Kafka reads e2, e1, e2 (a relay that resent after a partial failure): applying any
    sequence above the last dropped e1, and its visitor never got the SMS."""
    n = await start_notifier()
    sms, ev = Fakesmsc(), Events(site_id)
    first, second = unique_phone(), unique_phone()
    _, e1 = ev.issued("A-001", first, ahead=9)
    _, e2 = ev.issued("A-002", second, ahead=9)
    await produce(kafka_bootstrap, n.topic, ev.key, e2, e1, e2)  # type: ignore[attr-defined]
    got = await sms.wait_for({first, second}, lambda m: len(m) >= 2)
    await asyncio.sleep(1)  # anything sent twice would show now
    got = sms.messages({first, second})
    assert sorted(to for to, _ in got) == sorted([first, second])


class SlowGateway:
    """An HTTP SMS gateway that takes each request and answers after `delay_s` (or with
    `status` at once): it counts what it was sent."""

    def __init__(self, delay_s: float = 0.0, statuses: list[int] | None = None) -> None:
        self.port, self.delay_s, self.statuses = free_port(), delay_s, list(statuses or [])
        self.requests: list[bytes] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n")
             if line.lower().startswith(b"content-length")), 0,
        )  # fmt: skip
        self.requests.append(await reader.readexactly(length))
        status = self.statuses.pop(0) if self.statuses else 200
        await asyncio.sleep(self.delay_s)
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\n\r\nok".encode())
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["SlowGateway"]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        async with server:
            yield self


@pytest.mark.parametrize(
    ("gateway", "sent", "in_doubt"),
    [
        (SlowGateway(delay_s=3.0), 1, 1),  # took it, answered too late: never again
        (SlowGateway(statuses=[503, 503]), 3, 0),  # refused twice: sent again, then taken
    ],
    ids=["timeout after the request", "refused with 503"],
)
async def test_the_http_gateway_sends_again_only_what_it_refused(
    start_notifier: NotifierFactory,
    kafka_bootstrap: str,
    site_id: str,
    gateway: SlowGateway,
    sent: int,
    in_doubt: int,
) -> None:
    async with gateway.running():
        n = await start_notifier(
            NOTIFIER_PROVIDER="http",
            NOTIFIER_HTTP_URL=f"http://127.0.0.1:{gateway.port}/send",
            NOTIFIER_GATEWAY_TIMEOUT_S="0.5",
            NOTIFIER_RETRY_BASE_S="0.1",
            NOTIFIER_RETRY_MAX_DELAY_S="0.2",
        )
        ev = Events(site_id)
        await produce(kafka_bootstrap, n.topic, ev.key, ev.issued("A-001", unique_phone(), 9)[1])  # type: ignore[attr-defined]
        for _ in range(100):
            done = metric(n.url, "notifier_sms_total", kind="issued")
            if done >= 1:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(3)  # a retry of the timed-out request would come in this time
        assert len(gateway.requests) == sent
        dead = metric(n.url, "notifier_sms_dead_lettered_total", reason="in_doubt")
        assert dead == in_doubt
    if in_doubt:
        records = await dead_letters(kafka_bootstrap, n.dlq, idle_ms=500)  # type: ignore[attr-defined]
        assert any("in_doubt" in r["reason"] and "not sent again" in r["reason"] for r in records)
