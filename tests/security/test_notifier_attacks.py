"""Attacks on the notifier, one test each, against real Kafka, Redis and Kannel (+ fakesmsc).

Each names the attack it stops; each failed before its fix (the security issue lists them).
"""

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import redis.asyncio as aioredis
from antre_contracts.phone import DEV_PHONE_KEY
from cryptography.fernet import Fernet

from tests.integration.notifier.conftest import NotifierFactory
from tests.integration.notifier.conftest import start_notifier as start_notifier  # the fixture
from tests.integration.notifier.helpers import (
    Events,
    Fakesmsc,
    dead_letters,
    delivery_report,
    in_doubt,
    metric,
    produce,
    unique_phone,
)
from tests.support.processes import REPO, free_port
from tests.support.waiting import eventually

# 1. Run up the SMS bill, or bomb one person with SMS, through tickets with phone numbers


async def test_one_number_on_many_tickets_gets_no_more_than_its_daily_cap(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    n = await start_notifier(NOTIFIER_SMS_PER_NUMBER_PER_DAY="3", NOTIFIER_RATE_LIMIT_COUNT="100")
    sms, victim, ev = Fakesmsc(), unique_phone(), Events(site_id)
    tickets = [ev.issued(f"A-{i:03d}", victim, ahead=9)[1] for i in range(1, 7)]
    await produce(kafka_bootstrap, n.topic, ev.key, *tickets)  # type: ignore[attr-defined]

    async def all_handled() -> bool:
        return metric(n.url, "notifier_sms_total", kind="issued") == 6

    await eventually(all_handled, "six issue SMS sent or skipped")
    assert len(await sms.wait_for({victim}, lambda m: len(m) >= 3)) == 3
    capped = metric(n.url, "notifier_sms_capped_total", kind="issued", reason="number_daily_cap")
    assert capped == 3
    log = n.log_path.read_text()
    assert "issued) skipped, not sent: number_daily_cap reached" in log
    assert victim not in log and victim[3:] not in log


async def test_a_flood_of_numbers_stops_at_the_sites_daily_budget(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    n = await start_notifier(NOTIFIER_SMS_DAILY_BUDGET="4")
    sms, ev = Fakesmsc(), Events(site_id)
    phones = [unique_phone() for _ in range(7)]
    tickets = [ev.issued(f"A-{i:03d}", p, ahead=9)[1] for i, p in enumerate(phones, 1)]
    await produce(kafka_bootstrap, n.topic, ev.key, *tickets)  # type: ignore[attr-defined]

    async def all_handled() -> bool:
        return metric(n.url, "notifier_sms_total", kind="issued") == 7

    await eventually(all_handled, "seven issue SMS sent or skipped")
    assert len(await sms.wait_for(set(phones), lambda m: len(m) >= 4)) == 4
    assert metric(n.url, "notifier_sms_capped_total", reason="site_daily_budget") == 3


# 2. Forge Kannel's delivery report: an SMS in doubt is then taken as sent, never resent


async def test_a_forged_delivery_report_is_refused_and_the_sms_still_goes_out(
    start_notifier: NotifierFactory, redis_client: aioredis.Redis, redis_url: str, site_id: str
) -> None:
    n = await start_notifier(NOTIFIER_IN_DOUBT_HOLD_S="1")
    sms, phone = Fakesmsc(), unique_phone()
    notice = await in_doubt(redis_url, n.env["NOTIFIER_GROUP_ID"], site_id, "t1", phone)
    for secret in (None, "a-guess-at-the-secret-that-is-long-enough"):
        forged = delivery_report(n.url, site_id, notice, 8, secret=secret)
        assert forged.status_code == 403
        assert forged.headers["content-type"] == "application/problem+json"
        assert forged.json()["status"] == 403
    assert await redis_client.hget(f"{{{site_id}}}:notifier:notice:{notice}", "dlr") is None
    # Unconfirmed, the SMS is sent again once the hold is over: the visitor is not left out.
    got = await sms.wait_for({phone}, lambda m: len(m) >= 1, wait_s=20)
    assert len(got) == 1
    assert metric(n.url, "notifier_delivery_reports_total", report="refused") == 2


# 3. Replay: a notifier in a new consumer group reads the topic from the start


async def test_old_events_read_again_text_no_survey_to_visitors_served_long_ago(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    n = await start_notifier(NOTIFIER_SURVEY_URL="https://survei.example/s")
    sms, phone = Fakesmsc(), unique_phone()
    ev = Events(site_id, at=datetime.now(UTC) - timedelta(hours=3))
    _, issued = ev.issued("A-001", phone, ahead=0)
    await produce(kafka_bootstrap, n.topic, ev.key, issued, ev.completed("A-001"))  # type: ignore[attr-defined]

    async def survey_handled() -> bool:
        return metric(n.url, "notifier_sms_total", kind="survey") == 1

    await eventually(survey_handled, "the survey SMS of a visit three hours ago handled")
    assert metric(n.url, "notifier_sms_total", kind="survey", outcome="dropped_stale") == 1
    assert sms.messages({phone}) == []


# 4. Run production with the secrets every copy of the repository knows


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NOTIFIER_KANNEL_PASSWORD", " Antre-DEV "),
        ("NOTIFIER_DLR_SECRET", "antre-dev-dlr-secret-for-development-only"),
        ("NOTIFIER_NUMBER_HASH_KEY", ""),
    ],
)
def test_production_refuses_to_start_with_a_development_secret(variable: str, value: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "NOTIFIER_ENVIRONMENT": "production",
        "NOTIFIER_PORT": str(port),
        "NOTIFIER_PROVIDER": "kannel",
        "NOTIFIER_PHONE_KEY": Fernet.generate_key().decode(),
        "NOTIFIER_KANNEL_PASSWORD": "the-gateway's-own-password",
        "NOTIFIER_DLR_SECRET": "d" * 43,
        "NOTIFIER_NUMBER_HASH_KEY": "h" * 43,
        variable: value,
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "notifier"], env=env, cwd=REPO, capture_output=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the notifier started in production with {variable}={value!r}")
    assert done.returncode != 0
    said = done.stderr.decode()
    assert f"notifier refuses to start: Value error, {variable}" in said
    # The refusal quotes no setting: not the phone key, not the other secrets.
    assert env["NOTIFIER_PHONE_KEY"] not in said and "d" * 43 not in said


# 5. Rotate the phone key: every number's rate window and daily count would start over


async def test_a_phone_key_rotation_keeps_each_numbers_daily_count(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    sms, phone, ev = Fakesmsc(), unique_phone(), Events(site_id)
    # The events are encrypted with the old key (DEV_PHONE_KEY); after the rotation a new key
    # comes first and the old one still decrypts them.
    before = await start_notifier(NOTIFIER_SMS_PER_NUMBER_PER_DAY="1")
    await produce(kafka_bootstrap, before.topic, ev.key, ev.issued("A-001", phone, ahead=9)[1])  # type: ignore[attr-defined]
    await sms.wait_for({phone}, lambda m: len(m) >= 1)
    before.stop()
    rotated = f"{Fernet.generate_key().decode()},{DEV_PHONE_KEY}"
    after = await start_notifier(NOTIFIER_SMS_PER_NUMBER_PER_DAY="1", NOTIFIER_PHONE_KEY=rotated)
    await produce(kafka_bootstrap, after.topic, ev.key, ev.issued("A-002", phone, ahead=9)[1])  # type: ignore[attr-defined]

    async def handled() -> bool:
        return metric(after.url, "notifier_sms_total", kind="issued") == 1

    await eventually(handled, "the second issue SMS of the day to that number handled")
    # Skipped, not sent (sent + capped = the 1 handled): the first SMS stays the only one.
    assert metric(after.url, "notifier_sms_capped_total", reason="number_daily_cap") == 1
    assert len(sms.messages({phone})) == 1


# 6. Read phone numbers from what the notifier writes: its log, dead letters, problems


class EchoingGateway:
    """An HTTP SMS gateway that refuses every SMS and quotes the number in its answer, as
    gateways do ("invalid destination 0812…")."""

    def __init__(self) -> None:
        self.port = free_port()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        to = orjson.loads(await reader.readexactly(length))["to"]
        body = orjson.dumps({"error": f"invalid destination {to} (0{to[3:]})"})
        writer.write(b"HTTP/1.1 400 Bad\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["EchoingGateway"]:
        async with await asyncio.start_server(self._serve, "127.0.0.1", self.port):
            yield self


async def test_a_gateway_quoting_the_number_puts_it_in_no_log_or_dead_letter(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    async with EchoingGateway().running() as gateway:
        n = await start_notifier(
            NOTIFIER_PROVIDER="http", NOTIFIER_HTTP_URL=f"http://127.0.0.1:{gateway.port}/send"
        )
        ev, phone = Events(site_id), unique_phone()
        await produce(kafka_bootstrap, n.topic, ev.key, ev.issued("A-001", phone, ahead=4)[1])  # type: ignore[attr-defined]

        async def dead() -> bool:
            return metric(n.url, "notifier_sms_dead_lettered_total", reason="gateway") == 1

        await eventually(dead, "the refused SMS dead-lettered")
    [record] = await dead_letters(kafka_bootstrap, n.dlq)  # type: ignore[attr-defined]
    assert "invalid destination +62812*****" in record["reason"]  # what the gateway said, masked
    written = [record["reason"], record["value"].decode(), n.log_path.read_text()]
    for spelling in (phone, phone[1:], "0" + phone[3:]):
        assert not any(spelling in text for text in written), spelling
