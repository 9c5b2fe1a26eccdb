"""Kafka stopped while the hall keeps working: nothing lost, nothing doubled, order kept."""

import subprocess
from collections import defaultdict
from pathlib import Path

from tests.support.kafka import read_topic

INFRA = Path(__file__).resolve().parents[3] / "deploy" / "local" / "infra.sh"


def infra(action: str) -> None:
    subprocess.run(["bash", str(INFRA), action, "kafka"], check=True, capture_output=True)


async def test_events_made_while_kafka_is_down_arrive_once_and_in_order_when_it_returns(
    make_ticketing, kafka_bootstrap
):
    async with make_ticketing() as tk:
        for _ in range(5):
            r = await tk.http.post("/api/v1/tickets", json={"service_id": "ktp"})
            assert r.status_code == 201
        await tk.outbox_drained()
        infra("down")
        try:
            for i in range(1, 4):
                r = await tk.http.post(f"/api/v1/counters/loket-{i}/open", headers=tk.auth())
                assert r.status_code == 200, r.text
            for n in range(30):
                sid = ["ktp", "kk", "akta"][n % 3]
                r = await tk.http.post("/api/v1/tickets", json={"service_id": sid})
                assert r.status_code == 201, r.text
            for i in range(1, 4):
                r = await tk.http.post(f"/api/v1/counters/loket-{i}/call-next", headers=tk.auth())
                assert r.status_code == 200, r.text
            backlog = await tk.redis.xlen(f"{tk.prefix}:outbox")
            assert backlog == 3 + 30 + 3, "the outbox keeps every event while Kafka is down"
            # Still ready: a load balancer keeps sending kiosks to it (it says Kafka is down).
            ready = await tk.http.get("/readyz")
            assert ready.status_code == 200 and ready.json()["kafka"] == "down", ready.text
        finally:
            infra("up")
        await tk.outbox_drained(within_s=120)
        events = await read_topic(kafka_bootstrap, tk.topic)

    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)), "every event once per event id"
    made = [e for e in events if not e["type"].endswith(".epoch_started")]  # the day began
    assert len(made) == 5 + 36
    by_key: dict[str, list[int]] = defaultdict(list)
    for e in sorted(events, key=lambda e: (e["_partition"], e["_offset"])):
        by_key[e["partitionkey"]].append(e["sequence"])
    for key, seqs in by_key.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"{key} out of sequence: {seqs}"
