"""Consumer lag of this service's group, for Prometheus: end offset minus committed offset.

FastStream's middleware has no lag metric, and lag is what tells ops staff that SMS (or a
board) fall behind. The probe asks the broker itself, so it is right whatever the consumer is
doing, and it needs nothing from the service but its group and topics. It sits in the
contracts package because both consumers (display, notifier) export it the same way.
"""

import asyncio
import contextlib

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Gauge

from antre_contracts.supervise import Health


class LagProbe:
    """Refreshes `antre_consumer_lag_messages{group,topic,partition}` every `every_s` seconds."""

    def __init__(
        self,
        bootstrap: str,
        group: str,
        topics: list[str],
        registry: CollectorRegistry,
        every_s: float = 5.0,
    ) -> None:
        self.bootstrap, self.group, self.topics, self.every_s = bootstrap, group, topics, every_s
        self.lag = Gauge(
            "antre_consumer_lag_messages",
            "Messages in the topic not yet committed by the consumer group (end - committed)",
            ["group", "topic", "partition"],
            registry=registry,
        )

    async def run(self, health: Health) -> None:
        """Connect, then measure every `every_s`; run under a `Supervisor`, which starts it
        again after a broker outage."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="lag-probe")
        # No group: this consumer only asks for offsets, it never joins or commits.
        offsets = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, client_id="lag-probe")
        try:
            await admin.start()
            await offsets.start()
            while True:
                await self.measure(admin, offsets)
                health.ok()
                await asyncio.sleep(self.every_s)
        finally:
            with contextlib.suppress(Exception):
                await offsets.stop()
            with contextlib.suppress(Exception):
                await admin.close()

    async def measure(self, admin: AIOKafkaAdminClient, offsets: AIOKafkaConsumer) -> None:
        committed = {
            tp: meta.offset
            for tp, meta in (await admin.list_consumer_group_offsets(self.group)).items()
            if meta.offset >= 0
        }
        parts: list[TopicPartition] = []
        for topic in self.topics:
            for meta in await admin.describe_topics([topic]):
                parts += [TopicPartition(topic, p["partition"]) for p in meta["partitions"]]
        if not parts:
            return
        ends = await offsets.end_offsets(parts)
        # A partition the group never committed is read from the beginning (earliest).
        starts = await offsets.beginning_offsets([tp for tp in parts if tp not in committed])
        for tp in parts:
            done = committed[tp] if tp in committed else starts[tp]
            self.lag.labels(self.group, tp.topic, str(tp.partition)).set(max(0, ends[tp] - done))
