"""A fault run: the simulator plays a short MPP day while the hall's parts fail under it.

During the day the display is killed (SIGKILL) and restarted, then the notifier, then Kafka is
stopped for a few seconds. The three services run as processes on their own topic, site and
consumer groups, against the real Kafka, Redis and Kannel. After the day:
- the simulator saw no refusal it did not expect (ticketing kept working through it all);
- every event is on the topic once, in sequence per queue, none dead-lettered;
- both consumer groups committed every event (lag 0);
- the hall board says what ticketing says: every counter closed, nobody waiting;
- every ticket taken with a phone number got its "issued" SMS exactly once.
"""

import asyncio
import re
import subprocess
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.integration.notifier.helpers import Fakesmsc
from tests.support.kafka import read_topic
from tests.support.processes import REPO, ServiceProcess, hall_services
from tools.simulator.cli import parse, simulate
from tools.simulator.drive import Tally

pytestmark = pytest.mark.e2e
ISSUED_SMS = re.compile(r"^Nomor antrean \S+ \(")  # the [issued] template's start (sms.toml)


def infra(action: str) -> None:
    subprocess.run(
        ["bash", "deploy/local/infra.sh", action, "kafka"], cwd=REPO, check=True,
        capture_output=True,
    )  # fmt: skip


@pytest.fixture
async def hall(
    new_topic: Callable[..., Awaitable[str]], site_id: str, kafka_bootstrap: str
) -> AsyncIterator[dict[str, Any]]:
    topic, dlq = await new_topic("queue.events"), await new_topic("queue.events.dlq", 1)
    # A short lease: an SMS in doubt after the kill comes back within seconds.
    procs = hall_services(topic, dlq, site_id, extra={"notifier": {"NOTIFIER_LEASE_S": "3"}})
    try:
        for proc in procs.values():
            proc.start()
        groups = [
            procs["display"].env["DISPLAY_GROUP_ID"],
            procs["notifier"].env["NOTIFIER_GROUP_ID"],
        ]
        yield {"topic": topic, "dlq": dlq, "groups": groups, "procs": procs}
    finally:
        for proc in procs.values():
            proc.stop()
        infra("up")  # whatever happened, leave Kafka running for the next test


async def lag(bootstrap: str, group: str, topic: str) -> int:
    """End offsets minus the group's committed offsets, over the topic's partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    ends = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await ends.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        (described,) = await admin.describe_topics([topic])
        parts = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        assert len(parts) == 6, f"{topic}: {parts}"
        end = await ends.end_offsets(parts)
        done = {tp: meta.offset for tp, meta in committed.items() if tp.topic == topic}
        return sum(end[tp] - max(0, done.get(tp, 0)) for tp in parts)
    finally:
        await ends.stop()
        await admin.close()


async def test_a_day_with_a_display_kill_a_notifier_kill_and_a_kafka_outage_loses_nothing(
    hall: dict[str, Any], kafka_bootstrap: str
) -> None:
    procs: dict[str, ServiceProcess] = hall["procs"]
    sms = Fakesmsc()
    # 45 simulated minutes at 90x: 30 s of arrivals, the faults within the first ~20 s.
    args = parse(["--url", procs["ticketing"].url, "--speed", "90", "--hours", "0.75",
                  "--visitors", "80", "--seed", "11", "--quiet"])  # fmt: skip
    day = asyncio.create_task(simulate(args))
    faults: list[str] = []

    async def restart(name: str) -> None:
        procs[name].kill()
        await asyncio.to_thread(procs[name].start)
        faults.append(name)

    try:
        await asyncio.sleep(2)
        await restart("display")
        await asyncio.sleep(1)
        await restart("notifier")
        await asyncio.to_thread(infra, "down")
        await asyncio.sleep(3)
        await asyncio.to_thread(infra, "up")
        faults.append("kafka")
        assert not day.done(), "the day ended before the faults were over: they proved nothing"
        tally: Tally = await day
    finally:
        day.cancel()
    summary = tally.summary()
    assert faults == ["display", "notifier", "kafka"]
    assert summary["errors"] == {}, summary
    assert summary["issued"] > 30 and summary["with_phone"] > 5, summary

    # Every event once, in sequence per queue, as many of each as the simulator did; nothing
    # dead-lettered.
    async with httpx.AsyncClient(base_url=procs["ticketing"].url) as http:
        backlog = None
        for _ in range(300):  # the outbox drains once Kafka is back
            text = (await http.get("/metrics")).text
            backlog = re.search(r"^antre_outbox_backlog (\S+)$", text, re.M)
            if backlog and float(backlog.group(1)) == 0:
                break
            await asyncio.sleep(0.2)
        assert backlog and float(backlog.group(1)) == 0, "ticketing's outbox never drained"
    for group in hall["groups"]:
        for _ in range(120):
            if await lag(kafka_bootstrap, group, hall["topic"]) == 0:
                break
            await asyncio.sleep(0.5)
        assert await lag(kafka_bootstrap, group, hall["topic"]) == 0, group
    events = await read_topic(kafka_bootstrap, hall["topic"])
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids))
    types = Counter(e["type"] for e in events)
    assert types["antre.ticket.issued"] == summary["issued"]
    assert types["antre.ticket.called"] == summary["calls"] + summary["recalls"]
    assert types["antre.ticket.completed"] == summary["served"] + summary["no_show"]
    assert types["antre.ticket.transferred"] == summary["transfers"]
    by_key: dict[str, list[int]] = defaultdict(list)
    for e in sorted(events, key=lambda e: (e["_partition"], e["_offset"])):
        by_key[e["partitionkey"]].append(e["sequence"])
    for key, seqs in by_key.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"{key} out of sequence: {seqs}"
    assert await read_topic(kafka_bootstrap, hall["dlq"], idle_ms=500) == []

    # The board agrees with ticketing: the day is over.
    async with httpx.AsyncClient() as http:
        board = (await http.get(f"{procs['display'].url}/api/v1/board")).json()
        catalog = (await http.get(f"{procs['ticketing'].url}/api/v1/catalog")).json()
        shown = (await http.get(f"{procs['display'].url}/metrics")).text
    handled = [line for line in shown.splitlines() if line.startswith("display_events_total")]
    assert {c["state"] for c in board["counters"]} == {"closed"}, (board["counters"], handled)
    assert {s["id"]: s["waiting"] for s in board["services"]} == {
        s["id"]: s["waiting"] for s in catalog["services"]
    }
    assert sum(s["waiting"] for s in board["services"]) == 0

    # SMS: each number got its ticket's "issued" SMS once, through the kills.
    phones = {"+62" + p.removeprefix("0") for p in tally.phones}  # as the gateway gets them
    assert len(phones) == len(tally.phones) == summary["with_phone"]

    def issued(msgs: list[tuple[str, str]]) -> Counter[str]:
        return Counter(to for to, text in msgs if ISSUED_SMS.match(text))

    got = await sms.wait_for(phones, lambda m: set(issued(m)) >= phones, wait_s=60)
    await asyncio.sleep(4)  # past the lease: an SMS left in doubt would come back now
    got = sms.messages(phones)
    counts = issued(got)
    assert set(counts) == phones, f"no issued SMS for {sorted(phones - set(counts))}"
    assert set(counts.values()) == {1}, {p: n for p, n in counts.items() if n != 1}
