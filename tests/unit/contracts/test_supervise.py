"""Supervised loops: restarted when they fail, down until they work again, logged once a streak."""

import asyncio
import logging

import pytest
from antre_contracts.logs import RepeatFilter
from antre_contracts.supervise import Health, Supervisor
from prometheus_client import CollectorRegistry


async def test_a_loop_that_fails_is_restarted_and_down_until_it_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CollectorRegistry()
    tasks = Supervisor(registry, backoff_s=0.01, backoff_max_s=0.02)
    dependency_back = asyncio.Event()
    runs = 0

    async def loop(health: Health) -> None:
        nonlocal runs
        runs += 1
        if not dependency_back.is_set():
            raise ConnectionError("Redis: connection refused")
        while True:
            health.ok()
            await asyncio.sleep(0.01)

    with caplog.at_level(logging.INFO, logger="antre.tasks"):
        tasks.spawn("fan-out", loop)
        await asyncio.sleep(0.2)
        assert tasks.down() == ["fan-out"] and runs > 3
        dependency_back.set()
        await asyncio.sleep(0.1)
        assert tasks.down() == []
        await tasks.stop()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines  # one when it went down, one when it came back
    assert "ConnectionError: Redis: connection refused" in lines[0]
    assert "working again" in lines[1]
    assert registry.get_sample_value("antre_task_failures_total", {"task": "fan-out"}) == runs - 1
    assert registry.get_sample_value("antre_task_up", {"task": "fan-out"}) == 1


async def test_a_loop_that_ends_by_itself_is_restarted() -> None:
    tasks = Supervisor(CollectorRegistry(), backoff_s=0.01)
    runs = 0

    async def loop(health: Health) -> None:
        nonlocal runs
        runs += 1
        health.ok()

    tasks.spawn("gauges", loop)
    await asyncio.sleep(0.1)
    await tasks.stop()
    assert runs > 2 and tasks.down() == ["gauges"]


def test_a_client_line_repeated_in_an_outage_is_shown_once_a_minute() -> None:
    repeat = RepeatFilter(window_s=60)

    def record(name: str, msg: str) -> logging.LogRecord:
        return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, (1,), None)

    shown = [
        repeat.filter(record("aiokafka", "Unable connect to node with id %s")) for _ in range(1000)
    ]
    assert shown.count(True) == 1
    assert repeat.filter(record("aiokafka", "Unable to update metadata from [%s]"))
    assert all(repeat.filter(record("antre.tasks", "relay: down")) for _ in range(3))
