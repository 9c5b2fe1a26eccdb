"""What handing one event to Kafka costs the relay: aiokafka's send against FastStream's publish.

    uv run python bench/ticketing/publish_cost.py [--messages 5000] [--rounds 3]

Against the local Kafka (127.0.0.1:9092), on a topic of its own (6 partitions, deleted after).
For each way, --messages sends of a 400-byte event over 50 keys without waiting in between
(the relay gathers a batch's delivery futures), then waits for every acknowledgement:
- cpu µs/msg: process CPU time of the sending loop ÷ messages (what the relay's loop pays);
- wall s: from the first send to the last acknowledgement.
Ways: `aiokafka`, the producer's own send; `faststream`, `publisher.publish(no_confirm=True)`;
`faststream+prometheus`, the same with FastStream's Prometheus middleware (what the consumers
run; ticketing's relay sends with aiokafka and records FastStream's metrics per batch);
`faststream confirm`, awaiting each acknowledgement before the next send (FastStream's default).
Writes bench/ticketing/publish_cost.json.
"""

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

KAFKA = "127.0.0.1:9092"
VALUE = b'{"event":"' + b"x" * 388 + b'"}'
HEADERS = {"content-type": "application/cloudevents+json"}
OUT = Path(__file__).with_name("publish_cost.json")

Send = Callable[[bytes], Awaitable[Any]]


async def timed(send: Send, n: int, confirm: bool) -> tuple[float, float]:
    await send(b"warm-up")
    cpu, wall = time.process_time(), time.perf_counter()
    futures = []
    for i in range(n):
        sent = await send(b"k%d" % (i % 50))
        if confirm:
            await sent
        else:
            futures.append(sent)
    cpu = time.process_time() - cpu
    await asyncio.gather(*futures)
    return cpu / n * 1e6, time.perf_counter() - wall


async def aiokafka_way(topic: str, n: int) -> tuple[float, float]:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        headers = [(k, v.encode()) for k, v in HEADERS.items()]
        return await timed(
            lambda key: producer.send(topic, VALUE, key=key, headers=headers), n, False
        )
    finally:
        await producer.stop()


async def faststream_way(
    topic: str, n: int, prometheus: bool, confirm: bool
) -> tuple[float, float]:
    middlewares = (
        [KafkaPrometheusMiddleware(registry=CollectorRegistry(), app_name="bench")]
        if prometheus
        else []
    )
    broker = KafkaBroker(
        KAFKA, acks="all", enable_idempotence=True, logger=None, middlewares=middlewares
    )
    publisher = broker.publisher(topic)
    await broker.start()
    try:

        async def send(key: bytes) -> Any:
            sent = publisher.publish(VALUE, key=key, headers=HEADERS, no_confirm=True)
            return await sent

        return await timed(send, n, confirm)
    finally:
        await broker.stop()


async def main(args: argparse.Namespace) -> None:
    topic = f"bench-publish-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1)])
    ways: dict[str, Callable[[], Awaitable[tuple[float, float]]]] = {
        "aiokafka": lambda: aiokafka_way(topic, args.messages),
        "faststream": lambda: faststream_way(topic, args.messages, False, False),
        "faststream+prometheus": lambda: faststream_way(topic, args.messages, True, False),
        "faststream confirm": lambda: faststream_way(topic, args.messages // 10, False, True),
    }
    seen: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    try:
        for _ in range(args.rounds):  # interleaved: the machine's speed drifts
            for name, way in ways.items():
                seen[name].append(await way())
    finally:
        await admin.delete_topics([topic])
        await admin.close()
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "messages": args.messages,
        "rounds": args.rounds,
        "ways": {
            name: {
                "cpu_us_per_msg_median": round(statistics.median(c for c, _ in runs), 1),
                "cpu_us_per_msg_runs": [round(c, 1) for c, _ in runs],
                "wall_s_runs": [round(w, 3) for _, w in runs],
            }
            for name, runs in seen.items()
        },
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    for name, row in result["ways"].items():
        print(f"{name:24} {row['cpu_us_per_msg_median']:7.1f} µs/msg  {row['cpu_us_per_msg_runs']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
