"""The survey service in-process (its lifespan included) on the real Kafka and Redis, fed
with queue events produced onto a topic of the test's own."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from survey.app import create_app
from survey.config import Settings

TABLET_1 = {"Authorization": "Bearer demo-tablet-01"}  # tablet-1 at loket-1 (demo catalog)
ALL_FOUR = {f"U{i}": 4 for i in range(1, 10)}


@dataclass
class Survey:
    http: httpx.AsyncClient
    app: FastAPI
    site: str
    topic: str
    answers_topic: str
    kafka: str
    producer: AIOKafkaProducer
    sequences: dict[str, int]

    async def served(self, ticket: str, service: str = "ktp-el", counter: str = "loket-1",
                     outcome: str = "served", at: datetime | None = None,
                     number: str = "A-001") -> None:  # fmt: skip
        """Produce ticket.completed for this ticket onto the queue topic."""
        key = f"{self.site}:{service}"
        self.sequences[key] = self.sequences.get(key, 0) + 1
        at = at or datetime.now(UTC)
        event = {
            "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/antre/test/ticketing",
            "type": "antre.ticket.completed", "time": at.isoformat(), "subject": ticket,
            "datacontenttype": "application/json", "partitionkey": key,
            "sequence": self.sequences[key], "epoch": 0,
            "data": {"ticket_id": ticket, "number": number, "service_id": service,
                     "counter_id": counter, "officer_id": "o1", "outcome": outcome,
                     "completed_at": at.isoformat(), "service_time_s": 60,
                     "counter_seq": self.sequences[key], "waiting_count": 0},
        }  # fmt: skip
        await self.producer.send_and_wait(self.topic, orjson.dumps(event), key=key.encode())

    async def until(self, check: Callable[[], Any], what: str, wait_s: float = 15.0) -> Any:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            got = await check()
            if got:
                return got
            await asyncio.sleep(0.05)
        raise AssertionError(f"not within {wait_s} s: {what}")

    async def open_for(self, ticket: str) -> dict[str, Any]:
        async def check() -> Any:
            r = await self.http.get(f"/api/v1/tickets/{ticket}/survey")
            return r.json() if r.status_code == 200 else None

        result: dict[str, Any] = await self.until(check, f"{ticket} may answer")
        return result

    async def published(self, count: int, wait_s: float = 15.0) -> list[dict[str, Any]]:
        """The answers on the answers topic (de-duplicated by CloudEvent id), once `count`."""
        consumer = AIOKafkaConsumer(self.answers_topic, bootstrap_servers=self.kafka,
                                    auto_offset_reset="earliest")  # fmt: skip
        await consumer.start()
        seen: dict[str, dict[str, Any]] = {}
        try:
            deadline = time.monotonic() + wait_s
            while len(seen) < count and time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for r in records:
                        event = orjson.loads(r.value)
                        seen[event["id"]] = event
        finally:
            await consumer.stop()
        return list(seen.values())


@pytest.fixture
def make_survey(site_id: str, new_topic: Any, kafka_bootstrap: str, redis_url: str):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def start(redis: str | None = None, **settings_: Any) -> AsyncIterator[Survey]:
        topic = await new_topic()
        answers = await new_topic("survey.answers", 3)
        dlq = await new_topic("dlq", 1)
        settings = Settings(kafka_bootstrap=kafka_bootstrap, redis_url=redis or redis_url,
                            topic=topic, answers_topic=answers, dead_letter_topic=dlq,
                            site_id=site_id, group_id=f"survey-{site_id}", **settings_)  # fmt: skip
        app = create_app(settings)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://survey") as http:
                    survey = Survey(
                        http, app, site_id, topic, answers, kafka_bootstrap, producer, {}
                    )
                    await survey.until(_ready(http), "the survey ready", 30)
                    yield survey
        finally:
            await producer.stop()

    return start


def _ready(http: httpx.AsyncClient) -> Callable[[], Any]:
    async def check() -> bool:
        return (await http.get("/readyz")).status_code == 200

    return check
