"""The notifier survives a SIGKILL mid-burst and a Kannel outage: nothing twice, nothing lost,
only stale 'called' notices dropped (and counted)."""

import asyncio
import subprocess
from collections.abc import Awaitable, Callable

import pytest

from tests.integration.notifier.helpers import (
    REPO,
    Events,
    Fakesmsc,
    metric,
    notifier_env,
    produce,
    unique_phone,
)
from tests.support.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e
SERVICES = ["ktp-el", "kk", "akta", "pkb-tahunan", "jkn", "pajak"]


def infra(action: str) -> None:
    subprocess.run(["bash", "deploy/local/infra.sh", action, "kannel"], cwd=REPO, check=True)


async def test_sigkill_mid_burst_then_restart_sends_every_sms_exactly_once(
    new_topic: Callable[..., Awaitable[str]], kafka_bootstrap: str, site_id: str
) -> None:
    topic, dlq = await new_topic("queue.events"), await new_topic("queue.events.dlq", 1)
    port = free_port()
    env = notifier_env(topic, dlq, NOTIFIER_PORT=str(port), NOTIFIER_LEASE_S="3")
    sms, total = Fakesmsc(), 600
    phones: list[str] = []
    batches: dict[str, list[bytes]] = {}
    queues = {service: Events(site_id, service=service) for service in SERVICES}
    for i in range(total):
        ev = queues[SERVICES[i % len(SERVICES)]]  # each queue's events in sequence
        phone = unique_phone()
        phones.append(phone)
        batches.setdefault(ev.key, []).append(ev.issued(f"A-{i:03d}", phone, ahead=9)[1])
    wanted = set(phones)

    notifier = ServiceProcess("notifier", port, env).start()
    try:
        for key, values in batches.items():
            await produce(kafka_bootstrap, topic, key, *values)
        await sms.wait_for(wanted, lambda m: len(m) >= total // 5, wait_s=60)
        notifier.kill()
        at_kill = len(sms.messages(wanted))
        assert at_kill < total, "the burst ended before the kill: the test proves nothing"
        notifier.start()
        got = await sms.wait_for(wanted, lambda m: len(m) >= total, wait_s=90)
        await asyncio.sleep(4)  # past the lease: an in-doubt notice would come back now
        got = sms.messages(wanted)
        counts = {p: 0 for p in phones}
        for to, _ in got:
            counts[to] += 1
        print(
            "in doubt after restart:",
            {
                r: metric(notifier.url, "notifier_sms_in_doubt_total", resolution=r)
                for r in ("confirmed", "resent", "dropped")
            },
        )
        assert [p for p, c in counts.items() if c > 1] == [], "sent twice"
        assert [p for p, c in counts.items() if c == 0] == [], "never sent"
        # Kannel's delivery reports settled every in-doubt notice: none given up as in doubt.
        assert metric(notifier.url, "notifier_sms_dead_lettered_total", reason="in_doubt") == 0
    finally:
        notifier.stop()


async def test_kannel_down_then_back_delivers_what_is_due_and_drops_a_stale_call(
    new_topic: Callable[..., Awaitable[str]], kafka_bootstrap: str, site_id: str
) -> None:
    topic, dlq = await new_topic("queue.events"), await new_topic("queue.events.dlq", 1)
    port = free_port()
    env = notifier_env(
        topic, dlq, NOTIFIER_PORT=str(port), NOTIFIER_CALLED_MAX_AGE_S="8",
        NOTIFIER_RETRY_BASE_S="0.2", NOTIFIER_RETRY_MAX_DELAY_S="1",
        NOTIFIER_RETRY_MAX_ATTEMPTS="1000",
    )  # fmt: skip
    sms, ev = Fakesmsc(), Events(site_id)
    waiting, called, late = unique_phone(), unique_phone(), unique_phone()
    with ServiceProcess("notifier", port, env) as notifier:
        infra("down")
        try:
            await produce(
                kafka_bootstrap, topic, ev.key,
                ev.issued("A-001", waiting, ahead=7)[1],
                ev.called("A-000", called, 2, []),
            )  # fmt: skip
            for _ in range(100):  # the gateway is failing, attempts are retried
                if metric(notifier.url, "notifier_sms_retried_total", kind="called") >= 2:
                    break
                await asyncio.sleep(0.2)
            assert metric(notifier.url, "notifier_sms_retried_total", kind="called") >= 2
            # The call is older than NOTIFIER_CALLED_MAX_AGE_S now; the late one has those 8 s
            # to get out after Kannel is back (4 s failed once on a busy machine).
            await asyncio.sleep(8)
            await produce(kafka_bootstrap, topic, ev.key, ev.called("A-001", late, 3, []))
        finally:
            infra("up")
        got = await sms.wait_for({waiting, late}, lambda m: len(m) >= 2, wait_s=60)
        assert sorted(to for to, _ in got) == sorted([waiting, late])
        assert "Silakan menuju loket 3" in dict(got)[late]
        for _ in range(50):
            if (
                metric(notifier.url, "notifier_sms_total", kind="called", outcome="dropped_stale")
                >= 1
            ):
                break
            await asyncio.sleep(0.2)
        assert (
            metric(notifier.url, "notifier_sms_total", kind="called", outcome="dropped_stale") == 1
        )
        assert sms.messages({called}) == []
