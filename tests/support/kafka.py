"""Read a topic back from the real broker, to compare events with state."""

import json
from typing import Any

from aiokafka import AIOKafkaConsumer


async def read_topic(bootstrap: str, topic: str, idle_ms: int = 1500) -> list[dict[str, Any]]:
    """Every message of `topic` from the start, until none arrives for `idle_ms`."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    out: list[dict[str, Any]] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=idle_ms)
            if not batch:
                return out
            for tp, messages in batch.items():
                for m in messages:
                    event = json.loads(m.value)
                    event["_partition"], event["_offset"] = tp.partition, m.offset
                    event["_key"] = m.key.decode() if m.key else None
                    out.append(event)
    finally:
        await consumer.stop()
