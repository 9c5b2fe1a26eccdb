"""Fixtures shared by every test tier: the real local Kafka and Redis, isolated per test.

Integration and e2e tests need `make infra` (Kafka, Redis, Kannel on 127.0.0.1). They fail,
never skip, when it is missing: a green run must mean the real components were exercised.
"""

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.cleanup import forget_sites
from tests.support.processes import TEST_REDIS

KAFKA = os.environ.get("ANTRE_TEST_KAFKA", "127.0.0.1:9092")
REDIS_URL = TEST_REDIS

TopicFactory = Callable[..., Awaitable[str]]


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return KAFKA


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(REDIS_URL)
    await client.ping()
    yield client
    await client.aclose()


@pytest.fixture
async def site_id() -> AsyncIterator[str]:
    """A site id of its own per test, so Redis keys ({site}:...) never collide between tests.
    Its keys are deleted afterwards (so a test that asks for it needs Redis): kept, a few
    thousand per run grow the shared Redis and its AOF, and the benches on it slow down."""
    site = "t" + uuid.uuid4().hex[:10]
    yield site
    await forget_sites(REDIS_URL, site)


@pytest.fixture
async def new_topic() -> AsyncIterator[TopicFactory]:
    """Create uniquely named topics on the real broker; deleted after the test."""
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    created: list[str] = []

    async def create(name: str = "queue.events", partitions: int = 6) -> str:
        topic = f"test.{uuid.uuid4().hex[:8]}.{name}"
        await admin.create_topics([NewTopic(topic, partitions, 1)])
        created.append(topic)
        return topic

    yield create
    if created:
        await admin.delete_topics(created)
    await admin.close()
