"""Ticketing's gauges come from Redis: a restarted process shows the hall as it is, at once.

Real processes (a restart is a new process, with a new metrics registry), real Redis and Kafka.
"""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.ticketing.conftest import AS_KIOSK, COORDINATOR, write_catalog
from tests.support.processes import ServiceProcess, free_port

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{url}/metrics")).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


# What the hall looks like after the steps below (the test catalog: loket-1 serves ktp then kk,
# loket-2 ktp then akta, loket-3 kk then ktp).
HALL = {
    ("antre_queue_length", "service", "ktp"): 2.0,
    ("antre_queue_length", "service", "kk"): 2.0,
    ("antre_queue_length", "service", "akta"): 0.0,
    ("antre_open_counters", "service", "ktp"): 2.0,
    ("antre_open_counters", "service", "kk"): 2.0,
    ("antre_open_counters", "service", "akta"): 0.0,
    ("antre_loket_open", "counter", "loket-1"): 1.0,
    ("antre_loket_open", "counter", "loket-2"): 0.0,
    ("antre_loket_open", "counter", "loket-3"): 1.0,
    ("antre_loket_serving", "counter", "loket-1"): 1.0,
    ("antre_loket_serving", "counter", "loket-3"): 0.0,
    ("antre_loket_queue_length", "counter", "loket-1"): 4.0,
    ("antre_loket_queue_length", "counter", "loket-2"): 2.0,
    ("antre_loket_queue_length", "counter", "loket-3"): 4.0,
}


async def hall_gauges(url: str, want: dict[tuple[str, str, str], float]) -> dict:  # type: ignore[type-arg]
    """The gauges of HALL as scraped, once they equal `want` (or after 10 s, for the assert)."""
    got: dict[tuple[str, str, str], float | None] = {}
    for _ in range(100):
        samples = await scrape(url)
        got = {key: value(samples, key[0], **{key[1]: key[2]}) for key in want}
        if got == want:
            break
        await asyncio.sleep(0.1)
    return got


async def test_queue_and_counter_gauges_are_right_again_after_a_restart(
    tmp_path: Path,
    site_id: str,
    new_topic: Callable[..., Awaitable[str]],
    kafka_bootstrap: str,
    redis_url: str,
) -> None:
    port = free_port()
    env = {
        "TICKETING_PORT": str(port),
        "TICKETING_TOPIC": await new_topic(),
        "TICKETING_SITE_ID": site_id,
        "TICKETING_CATALOG_PATH": str(write_catalog(tmp_path / "catalog.toml")),
        "TICKETING_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TICKETING_REDIS_URL": redis_url,
        "TICKETING_ENFORCE_HOURS": "false",
    }
    auth = {"Authorization": f"Bearer {COORDINATOR}"}

    with ServiceProcess("ticketing", port, env) as first:
        async with httpx.AsyncClient(base_url=first.url, event_hooks=AS_KIOSK) as http:
            for service in ("ktp", "ktp", "ktp", "kk", "kk"):
                r = await http.post("/api/v1/tickets", json={"service_id": service})
                assert r.status_code == 201, r.text
            for counter in ("loket-1", "loket-3"):
                r = await http.post(f"/api/v1/counters/{counter}/open", headers=auth)
                assert r.status_code == 200, r.text
            r = await http.post("/api/v1/counters/loket-1/call-next", headers=auth)
            assert r.status_code == 200 and r.json()["service_id"] == "ktp", r.text
        assert await hall_gauges(first.url, HALL) == HALL
        before = await scrape(first.url)
        assert value(before, "antre_tickets_issued_total", agency="dukcapil", service="ktp",
                     priority="regular", channel="kiosk") == 3  # fmt: skip

    with ServiceProcess("ticketing", port, env) as second:
        # Nothing happened since: the new process reads the hall from Redis.
        assert await hall_gauges(second.url, HALL) == HALL
        after = await scrape(second.url)
    # Counters start again from 0 (Prometheus's increase() handles the reset), and every label
    # set of the catalog is there from the start: 3 services x 4 priorities x 3 channels.
    issued = {k: v for k, v in after.items() if k[0] == "antre_tickets_issued_total"}
    assert len(issued) == 3 * 4 * 3 and set(issued.values()) == {0.0}
    assert value(after, "antre_calls_total", service="kk") == 0.0
