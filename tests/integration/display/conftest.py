"""Run the display in-process on a free port against the real Kafka and Redis, and build events."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer
from display.app import create_app
from display.config import Settings
from display.sockets import listening_socket

from tests.support.processes import free_port
from tests.support.waiting import eventually


@dataclass
class Events:
    """Queue events of one site as ticketing would send them: sequences grow on their own."""

    site: str
    seqs: dict[str, int] = field(default_factory=dict)
    counter_seqs: dict[str, int] = field(default_factory=dict)
    epoch: int = 0
    """Events are numbered from 1 again when a test sets a new epoch (see begin_epoch)."""

    def begin_epoch(self, epoch: int) -> None:
        self.epoch, self.seqs = epoch, {}

    def envelope(self, type_: str, pk: str, data: dict[str, Any], seq: int | None = None) -> bytes:
        if seq is None:
            seq = self.seqs.get(pk, 0) + 1
        self.seqs[pk] = max(seq, self.seqs.get(pk, 0))
        now = datetime.now(UTC).isoformat()
        body = {
            "specversion": "1.0",
            "id": uuid.uuid4().hex,
            "source": f"/antre/{self.site}/ticketing",
            "type": type_,
            "time": now,
            "subject": data.get("ticket_id") or data.get("counter_id") or "x",
            "partitionkey": pk,
            "sequence": seq,
            "data": data,
        }
        if self.epoch:
            body["epoch"] = self.epoch
        return orjson.dumps(body)

    def _cseq(self, counter_id: str) -> int:
        self.counter_seqs[counter_id] = self.counter_seqs.get(counter_id, 0) + 1
        return self.counter_seqs[counter_id]

    def called(
        self, number: str, service: str, counter: int, waiting: int = 0, recall: bool = False,
        at: datetime | None = None,
    ) -> tuple[str, bytes]:  # fmt: skip
        pk = f"{self.site}:{service}"
        data = {
            "ticket_id": f"{self.site}-{number}", "number": number, "service_id": service,
            "counter_id": f"loket-{counter}", "counter_number": counter, "officer_id": "o",
            "recall": recall, "call_count": 2 if recall else 1,
            "called_at": (at or datetime.now(UTC)).isoformat(), "waited_s": 30,
            "counter_seq": self._cseq(f"loket-{counter}"), "waiting_count": waiting,
        }  # fmt: skip
        return pk, self.envelope("antre.ticket.called", pk, data)

    def counter_state(self, counter: int, state: str, services: list[str]) -> tuple[str, bytes]:
        pk = f"{self.site}:counter:loket-{counter}"
        data = {
            "counter_id": f"loket-{counter}", "counter_number": counter, "state": state,
            "services": services, "changed_at": datetime.now(UTC).isoformat(),
            "counter_seq": self._cseq(f"loket-{counter}"),
        }  # fmt: skip
        return pk, self.envelope("antre.counter.state_changed", pk, data)


@pytest.fixture
def events(site_id: str) -> Events:
    return Events(site_id)


@pytest.fixture
async def produce(kafka_bootstrap: str) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()

    async def send(topic: str, *messages: tuple[str, bytes]) -> None:
        for key, value in messages:
            await producer.send_and_wait(topic, value, key=key.encode())

    yield send
    await producer.stop()


@dataclass
class Running:
    url: str
    http: httpx.AsyncClient
    settings: Settings


@pytest.fixture
def display_settings(kafka_bootstrap: str, redis_url: str, site_id: str) -> Callable[..., Settings]:
    def make(topic: str, dlq: str, **extra: Any) -> Settings:
        values = {
            "kafka_bootstrap": kafka_bootstrap, "redis_url": redis_url, "topic": topic,
            "dlq_topic": dlq, "group_id": f"display-{site_id}", "site_id": site_id,
            "port": free_port(),
        }  # fmt: skip
        return Settings(**{**values, **extra})

    return make


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Running]:
    """The display app served by uvicorn in this event loop, until the block ends, on a
    socket made as `python -m display` makes it."""
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    sock = listening_socket("127.0.0.1", settings.port, settings.tcp_user_timeout_s)
    task = asyncio.create_task(server.serve([sock]))
    # Until the fan-out has its place in the board stream, boards get a 503: on a busy machine
    # a test's first board came before it.
    deadline = asyncio.get_running_loop().time() + 20
    while not (server.started and app.state.deps.hub.started):
        if task.done():
            task.result()
        if asyncio.get_running_loop().time() > deadline:
            server.should_exit = True
            raise AssertionError("the display never started its fan-out (is Redis up?)")
        await asyncio.sleep(0.02)
    url = f"http://127.0.0.1:{settings.port}"
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        try:
            yield Running(url, http, settings)
        finally:
            server.should_exit = True
            await task


@dataclass
class SseEvent:
    event: str
    id: str | None
    data: Any


async def read_sse(response: httpx.Response) -> AsyncIterator[SseEvent]:
    """Parse a text/event-stream response into events (comments and `retry` skipped)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "data" in fields:
                data = orjson.loads(fields["data"])
                yield SseEvent(fields.get("event", "message"), fields.get("id"), data)
            fields = {}
            continue
        name, _, value = line.partition(": ")
        fields[name] = value


@pytest.fixture
def tools() -> Any:
    """The helpers above, for tests (conftest modules are not importable in importlib mode)."""

    class Tools:
        running = staticmethod(running)
        eventually = staticmethod(eventually)
        read_sse = staticmethod(read_sse)

    return Tools
