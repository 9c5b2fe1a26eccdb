"""Operations end to end: a real Prometheus (Debian's) scrapes the three services, started as
processes, while the simulator plays a short MPP day through ticketing's HTTP API. Everything
is asserted through Prometheus's HTTP API, as ops staff and Grafana would see it."""

import asyncio
import json
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from antre_contracts import load_catalog

from tests.support.figures import from_events, of_day
from tests.support.kafka import read_topic
from tests.support.processes import LOGS, REPO, hall_services
from tools.simulator.cli import parse, simulate
from tools.simulator.drive import Tally

pytestmark = pytest.mark.e2e

# Fixed ports, because Prometheus scrapes fixed targets; away from `make up` (8001-8003, 9090).
PORTS = {"ticketing": 18001, "display": 18002, "notifier": 18003}
PROMETHEUS_PORT = 19091
COORDINATOR = {"Authorization": "Bearer demo-koordinator"}
RULES = sorted((REPO / "deploy" / "prometheus" / "rules").glob("*.yml"))
CATALOG = REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml"
DASHBOARDS = sorted((REPO / "deploy" / "grafana" / "dashboards").glob("*.json"))


def prometheus_config(tmp: Path) -> Path:
    jobs = "".join(
        f"  - job_name: {name}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        for name, port in PORTS.items()
    )
    rules = "".join(f"  - {path}\n" for path in RULES)
    path = tmp / "prometheus.yml"
    path.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n{rules}scrape_configs:\n{jobs}"
    )
    return path


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[str]:
    """Debian's Prometheus on a test port with its own TSDB, stopped after the test."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / f"prometheus-{PROMETHEUS_PORT}.log", "ab") as log:
        proc = subprocess.Popen(
            [
                "/usr/bin/prometheus",
                f"--config.file={prometheus_config(tmp_path)}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}",
            ],
            stdout=log,
            stderr=log,
        )
    url = f"http://127.0.0.1:{PROMETHEUS_PORT}"
    try:
        for _ in range(300):
            assert proc.poll() is None, f"prometheus exited; see {LOGS}"
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            subprocess.run(["sleep", "0.1"], check=True)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
async def services(
    new_topic: Callable[..., Awaitable[str]], site_id: str
) -> AsyncIterator[dict[str, str]]:
    """The three services on their own topics, site and consumer groups."""
    topic, dlq = await new_topic("queue.events"), await new_topic("queue.events.dlq", 1)
    procs = hall_services(
        topic, dlq, site_id, PORTS, {"notifier": {"NOTIFIER_GAUGES_EVERY_S": "1"}}
    )
    try:
        for proc in procs.values():
            proc.start()
        yield {
            "topic": topic,
            "display": procs["display"].env["DISPLAY_GROUP_ID"],
            "notifier": procs["notifier"].env["NOTIFIER_GROUP_ID"],
        }
    finally:
        for proc in reversed(procs.values()):
            proc.stop()


class Prom:
    def __init__(self, url: str) -> None:
        self.api = httpx.AsyncClient(base_url=url, timeout=10)

    async def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"query": expr}
        if at is not None:
            params["time"] = at
        r = await self.api.get("/api/v1/query", params=params)
        body = r.json()
        assert body["status"] == "success", f"{expr}: {body}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    async def by(self, expr: str, *labels: str) -> dict[tuple[str, ...], float]:
        return {
            tuple(s["metric"].get(label, "") for label in labels): float(s["value"][1])
            for s in await self.query(expr)
        }

    async def settled(self, expr: str, want: Any, *labels: str, wait_s: float = 60) -> Any:
        """The query's value once it equals `want` (or the last one seen, for the assert)."""
        got: Any = None
        for _ in range(int(wait_s * 4)):
            got = await self.by(expr, *labels)
            if got == want:
                break
            await asyncio.sleep(0.25)
        return got


def floats(counter: Counter[Any]) -> dict[tuple[str, ...], float]:
    return {k if isinstance(k, tuple) else (k,): float(v) for k, v in counter.items() if v}


async def test_prometheus_scrapes_every_service_and_counts_a_simulated_day_exactly(
    services: dict[str, str], prometheus: str
) -> None:
    prom = Prom(prometheus)
    up = await prom.settled(
        "up", {("ticketing",): 1.0, ("display",): 1.0, ("notifier",): 1.0}, "job"
    )
    assert up == {("ticketing",): 1.0, ("display",): 1.0, ("notifier",): 1.0}

    args = parse(["--url", f"http://127.0.0.1:{PORTS['ticketing']}", "--speed", "600",
                  "--hours", "0.75", "--visitors", "60", "--seed", "7", "--quiet"])  # fmt: skip
    tally: Tally = await simulate(args)
    summary = tally.summary()
    assert summary["errors"] == {}
    assert summary["issued"] > 20 and summary["served"] > 0 and summary["no_show"] > 0

    issued = Counter({k: v for k, v in tally.issued.items()})
    want_issued = floats(issued)
    got = await prom.settled(
        "sum by (service, priority, channel) (antre_tickets_issued_total) > 0",
        want_issued, "service", "priority", "channel",
    )  # fmt: skip
    assert got == want_issued
    assert await prom.settled(
        'sum by (agency) (antre_tickets_issued_total{agency="disdukcapil"})',
        {("disdukcapil",): float(sum(v for (s, _, _), v in issued.items()
                                     if s in ("ktp-el", "kk", "akta")))},
        "agency",
    ) == {("disdukcapil",): float(sum(v for (s, _, _), v in issued.items()
                                      if s in ("ktp-el", "kk", "akta")))}  # fmt: skip
    calls = floats(tally.calls)
    assert await prom.settled("sum by (service) (antre_calls_total) > 0", calls, "service") == calls
    assert (
        await prom.settled(
            "sum by (service) (antre_waiting_time_seconds_count) > 0", calls, "service"
        )
        == calls
    )
    done = floats(tally.completed)
    assert (
        await prom.settled(
            "sum by (service, outcome) (antre_tickets_completed_total) > 0",
            done,
            "service",
            "outcome",
        )
        == done
    )
    served = floats(Counter({s: n for (s, o), n in tally.completed.items() if o == "served"}))
    assert (
        await prom.settled(
            "sum by (service) (antre_service_time_seconds_count) > 0", served, "service"
        )
        == served
    )
    recalls, transfers = floats(tally.recalls), floats(tally.transfers)
    assert await prom.settled("sum by (service) (antre_recalls_total) > 0", recalls, "service") == (
        recalls
    )
    assert (
        await prom.settled("sum by (service) (antre_transfers_total) > 0", transfers, "service")
        == transfers
    )

    # Parking and calls by number (the simulator parks ~4 % and brings a quarter of its
    # no-shows back), per officer too.
    parked = floats(tally.parked)
    assert await prom.settled("sum by (service) (antre_parked_total) > 0", parked, "service") == (
        parked
    )
    chosen = floats(tally.chosen)
    assert await prom.settled("sum by (how) (antre_chosen_calls_total) > 0", chosen, "how") == (
        chosen
    )
    per_officer = {
        ("served",): float(summary["served"]),
        ("no_show",): float(summary["no_show"]),
        ("parked",): float(summary["parked"]),
        ("called_back",): float(summary["chosen"]),
    }
    got_officer = await prom.settled(
        'sum by (what) (antre_officer_tickets_total{what=~"served|no_show|parked|called_back"})',
        per_officer, "what",
    )  # fmt: skip
    assert got_officer == per_officer

    # The coordinator's figures of the day equal what the day's events on the topic say.
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORTS['ticketing']}") as api:
        r = await api.get("/api/v1/figures/officers", headers=COORDINATOR)
        assert r.status_code == 200, r.text
        figures = r.json()
    events = await read_topic("127.0.0.1:9092", services["topic"])
    expected = from_events(of_day(events, figures["day"]), figures["day"])
    rows = {f["officer_id"]: {k: v for k, v in f.items() if k != "officer_name"}
            for f in figures["officers"]}  # fmt: skip
    assert rows == expected
    assert sum(r["served"] for r in rows.values()) == summary["served"]

    # The day is over: nobody waits, every counter closed, the outbox is empty.
    assert await prom.settled("sum(antre_queue_length)", {(): 0.0}) == {(): 0.0}
    assert await prom.settled("sum(antre_open_counters)", {(): 0.0}) == {(): 0.0}
    assert await prom.settled("sum(antre_outbox_backlog)", {(): 0.0}) == {(): 0.0}
    counters = float(len(load_catalog(CATALOG).counters))
    idle = {(): 0.0}
    assert await prom.settled("count(antre_loket_open)", {(): counters}) == {(): counters}
    for gauge in ("antre_loket_open", "antre_loket_serving", "antre_loket_queue_length"):
        assert await prom.settled(f"sum({gauge})", idle) == idle, gauge
    fresh = await prom.query("time() - antre_queue_state_read_timestamp_seconds < 10")
    assert len(fresh) == 1, "ticketing reads the queues from Redis every 2 s"
    assert not await prom.query('ALERTS{alertname="AntreQueueStateUnreadable"}')

    # The dashboards' "today" figures: increase() over the day counts every ticket, the first
    # of each label set too (those series exist at 0 from the start). Asked at the last scrape:
    # between scrapes increase() extrapolates to the range's end (up to 1 s on this short
    # day's ~15 s of samples: +7 %, which once made this check pass or fail by the query's phase).
    last = max(float(s["value"][1]) for s in await prom.query(
        "timestamp(antre_tickets_issued_total)"))  # fmt: skip
    today = {
        (): sum(float(s["value"][1]) for s in await prom.query(
            "increase(antre_tickets_issued_total[1h])", at=last))
    }  # fmt: skip
    assert abs(today[()] - summary["issued"]) <= 1 + 0.02 * summary["issued"], (today, summary)

    # SMS: one 'issued' SMS per ticket with a phone number, through the real Kannel.
    sms = {("issued",): float(tally.with_phone)}
    got_sms = await prom.settled(
        'sum by (kind) (notifier_sms_total{kind="issued",outcome="sent"})', sms, "kind"
    )
    assert got_sms == sms
    assert await prom.settled("sum(notifier_sms_failed_total) or vector(0)", {(): 0.0}) == {(): 0.0}

    # Consumer lag: every event of the day handled and committed by both consumer groups.
    for group in (services["notifier"], services["display"]):
        lag = await prom.settled(
            f'sum(antre_consumer_lag_messages{{group="{group}",topic="{services["topic"]}"}})',
            {(): 0.0},
        )
        assert lag == {(): 0.0}, group
    partitions = await prom.query(f'antre_consumer_lag_messages{{group="{services["notifier"]}"}}')
    assert len(partitions) == 6

    # FastStream's middleware, named after the service: ticketing publishes every event the
    # relay sends, the consumers receive them.
    relayed = await prom.by("sum(antre_outbox_events_relayed_total)")
    published = await prom.settled(
        'sum(faststream_published_messages_total{app_name="ticketing",status="success"})', relayed
    )
    assert published == relayed and relayed[()] > 0
    for app, metric in (
        ("display", "faststream_received_messages_total"),
        ("notifier", "faststream_received_messages_total"),
    ):
        assert await prom.query(f'sum({metric}{{app_name="{app}"}}) > 0'), app
    assert await prom.query("notifier_event_latency_seconds_count > 0")

    # The rules load, evaluate without errors, and carry the catalog's service levels.
    levels = await prom.by("antre:service_level_seconds", "service")
    assert levels[("ktp-el",)] == 1800 and len(levels) == 16
    rules = (await prom.api.get("/api/v1/rules")).json()["data"]["groups"]
    assert rules and all(r["health"] == "ok" for g in rules for r in g["rules"]), json.dumps(rules)
    assert not (await prom.query('ALERTS{alertname="AntreTargetDown"}'))

    # Every Grafana panel's query runs on these series; promtool accepts each /metrics output.
    for expr in dashboard_queries():
        await prom.query(expr)  # asserts that Prometheus accepted and evaluated it
    for name, port in PORTS.items():
        text = (await prom.api.get(f"http://127.0.0.1:{port}/metrics")).content
        check = await asyncio.create_subprocess_exec(
            "promtool", "check", "metrics",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        said, _ = await check.communicate(text)
        assert check.returncode == 0 and not said.strip(), f"{name}: {said.decode()}"


def dashboard_queries() -> list[str]:
    """Every panel query of the provisioned dashboards, with Grafana's variables filled in."""
    exprs = [
        target["expr"]
        .replace("$__rate_interval", "1m")
        .replace("$__range", "1h")
        .replace("$agency", ".*")
        .replace("$service", ".*")
        for path in DASHBOARDS
        for panel in json.loads(path.read_text())["panels"]
        for target in panel.get("targets", [])
    ]
    assert len(DASHBOARDS) == 3 and len(exprs) > 10
    return exprs
