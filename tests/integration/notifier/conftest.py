"""A notifier process per test, on the test's own topics, sending through the real Kannel."""

from collections.abc import Awaitable, Callable, Iterator

import pytest

from tests.integration.notifier.helpers import notifier_env
from tests.support.processes import ServiceProcess, free_port

NotifierFactory = Callable[..., Awaitable[ServiceProcess]]


@pytest.fixture
def start_notifier(new_topic: Callable[..., Awaitable[str]]) -> Iterator[NotifierFactory]:
    """await start_notifier(**env) -> a running notifier; .topic and .dlq are its topics."""
    started: list[ServiceProcess] = []

    async def start(**extra: str) -> ServiceProcess:
        topic, dlq = await new_topic("queue.events"), await new_topic("queue.events.dlq", 1)
        proc = ServiceProcess(
            "notifier", free_port(), notifier_env(topic, dlq, NOTIFIER_PORT="0", **extra)
        )
        proc.env["NOTIFIER_PORT"] = str(proc.port)
        proc.start()
        proc.topic, proc.dlq = topic, dlq  # type: ignore[attr-defined]
        started.append(proc)
        return proc

    yield start
    for p in started:
        p.stop()
