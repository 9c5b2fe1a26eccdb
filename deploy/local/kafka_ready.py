"""Wait until the local Kafka broker answers metadata requests, then make sure topics exist.

Used by deploy/local/infra.sh (``up kafka`` and ``status``), usable by hand or from tests:

    python deploy/local/kafka_ready.py                       # wait (60 s), create the defaults
    python deploy/local/kafka_ready.py --timeout 5 --check   # probe only, create nothing
    python deploy/local/kafka_ready.py --topic my.topic:3 --topic other:1
    python deploy/local/kafka_ready.py --bootstrap 127.0.0.1:9092,127.0.0.1:9094 \
        --replication-factor 3 --min-insync 2             # the 3-node cluster (KAFKA_NODES=3)

A broker counts as ready when a metadata request answers (not when its port opens: the
port opens before the KRaft controller has elected itself). After that, every requested
topic that is missing is created, and the script waits until each partition of each
requested topic has a leader, so a producer started right after it does not meet
``LEADER_NOT_AVAILABLE``. An existing topic is never altered; a partition count that
differs from the requested one is reported as a warning.

Exit status: 0 ready (and topics in place), 1 not ready before the deadline, 2 topic error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

DEFAULT_TOPICS = ("antre.queue.events:6", "antre.queue.events.dlq:1", "antre.survey.answers:3")
KEPT_FOREVER = {"antre.survey.answers"}
"""Topics created with retention.ms=-1: the survey's answers are its audit record."""
TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int


def parse_topic(text: str) -> TopicSpec:
    name, sep, count = text.rpartition(":")
    if not sep:
        name, count = text, "1"
    if not name or not count.isdigit() or int(count) < 1:
        raise argparse.ArgumentTypeError(f"expected NAME:PARTITIONS, got {text!r}")
    return TopicSpec(name, int(count))


def log(message: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"kafka_ready: {message}", file=sys.stderr, flush=True)


async def wait_for_metadata(
    bootstrap: str, deadline: float
) -> tuple[AIOKafkaAdminClient, list[str]]:
    """Retry start() + list_topics() until one answers or the deadline passes."""
    attempt = 0
    last_error: BaseException | None = None
    while True:
        attempt += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            tries = attempt - 1
            raise TimeoutError(f"no metadata from {bootstrap} after {tries} tries: {last_error!r}")
        # A short request timeout, so that one hung attempt cannot eat the whole deadline.
        timeout_ms = int(max(1.0, min(5.0, remaining)) * 1000)
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="antre-kafka-ready",
            request_timeout_ms=timeout_ms,
            retry_backoff_ms=100,
        )
        try:
            await asyncio.wait_for(admin.start(), timeout=timeout_ms / 1000)
            topics = await asyncio.wait_for(admin.list_topics(), timeout=timeout_ms / 1000)
            return admin, topics
        except (TimeoutError, KafkaError, OSError) as exc:
            last_error = exc
            await admin.close()
            await asyncio.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


async def ensure_topics(
    admin: AIOKafkaAdminClient,
    existing: list[str],
    wanted: list[TopicSpec],
    replication_factor: int,
    deadline: float,
    quiet: bool,
    min_insync: int | None = None,
) -> int:
    missing = [t for t in wanted if t.name not in existing]
    configs = {"min.insync.replicas": str(min_insync)} if min_insync else {}
    if missing:
        response = await admin.create_topics(
            [
                NewTopic(
                    t.name,
                    t.partitions,
                    replication_factor,
                    topic_configs={**configs, "retention.ms": "-1"}
                    if t.name in KEPT_FOREVER
                    else configs,
                )
                for t in missing
            ],
            timeout_ms=10_000,
        )
        for topic, code, *rest in response.topic_errors:
            if code == 0:
                log(f"created topic {topic}", quiet)
            elif code == TOPIC_ALREADY_EXISTS:
                log(f"topic {topic} already exists", quiet)
            else:
                message = rest[0] if rest else ""
                log(f"cannot create topic {topic}: error {code} {message}")
                return 2

    names = [t.name for t in wanted]
    while True:
        described = {d["topic"]: d for d in await admin.describe_topics(names)}
        pending = []
        for spec in wanted:
            info = described.get(spec.name)
            partitions = (info or {}).get("partitions") or []
            if info is None or info["error_code"] != 0 or not partitions:
                pending.append(spec.name)
                continue
            if any(p["leader"] < 0 or p["error_code"] != 0 for p in partitions):
                pending.append(spec.name)
                continue
            if len(partitions) != spec.partitions:
                log(
                    f"warning: topic {spec.name} has {len(partitions)} partitions, "
                    f"{spec.partitions} requested (left as is)",
                    quiet,
                )
        if not pending:
            actual = ", ".join(f"{n}({len(described[n]['partitions'])})" for n in names)
            log(f"topics in place: {actual}", quiet)
            return 0
        if time.monotonic() >= deadline:
            log(f"topics without leaders before the deadline: {', '.join(pending)}")
            return 1
        await asyncio.sleep(0.2)


async def main_async(args: argparse.Namespace) -> int:
    started = time.monotonic()
    deadline = started + args.timeout
    try:
        admin, existing = await wait_for_metadata(args.bootstrap, deadline)
    except TimeoutError as exc:
        log(f"not ready: {exc}")
        return 1
    try:
        log(f"metadata answered after {time.monotonic() - started:.1f}s", args.quiet)
        if args.check:
            return 0
        topics = args.topic or [parse_topic(t) for t in DEFAULT_TOPICS]
        code = await ensure_topics(
            admin,
            existing,
            topics,
            args.replication_factor,
            deadline,
            args.quiet,
            args.min_insync,
        )
        if code == 0:
            log(f"ready after {time.monotonic() - started:.1f}s", args.quiet)
        return code
    finally:
        await admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get(
            "KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{os.environ.get('KAFKA_PORT', '9092')}"
        ),
        help="bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:$KAFKA_PORT)",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="deadline in seconds (default 60)"
    )
    parser.add_argument(
        "--topic",
        action="append",
        type=parse_topic,
        metavar="NAME:PARTITIONS",
        help=f"topic to create if missing; repeatable (default: {' '.join(DEFAULT_TOPICS)})",
    )
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument(
        "--min-insync",
        type=int,
        default=None,
        help="min.insync.replicas of the topics it creates (default: the broker's)",
    )
    parser.add_argument(
        "--check", action="store_true", help="only wait for metadata; create no topic"
    )
    parser.add_argument("--quiet", action="store_true", help="print errors only")
    args = parser.parse_args()
    # aiokafka logs every refused connection at ERROR while the broker starts: noise here.
    logging.basicConfig(level=logging.CRITICAL)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
