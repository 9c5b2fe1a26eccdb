"""Helpers for the notifier's integration and e2e tests: events, fakesmsc's log, processes."""

import asyncio
import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from antre_contracts.phone import DEV_PHONE_KEY, PhoneCipher
from notifier.dlr import DlrSigner
from notifier.handlers import plan_json
from notifier.limits import Limits
from notifier.notices import Kind, Notice, Plan
from notifier.phones import number_key
from notifier.refusals import DEV_DLR_SECRET
from notifier.store import NotifierStore

REPO = Path(__file__).resolve().parents[3]
FAKESMSC_LOG = REPO / "var" / "log" / "fakesmsc.log"
_GOT = re.compile(r"Got message \d+: <(\S+) (\S+) text (.*)>$")
CIPHER = PhoneCipher(DEV_PHONE_KEY)


def unique_phone() -> str:
    """A valid Indonesian mobile number nobody else's test uses (fakesmsc's log is shared)."""
    return "+62812" + "".join(random.choices("0123456789", k=8))


class Fakesmsc:
    """What fakesmsc received since this object was made, read from its shared log."""

    def __init__(self) -> None:
        self.start = FAKESMSC_LOG.stat().st_size if FAKESMSC_LOG.exists() else 0

    def messages(self, phones: set[str]) -> list[tuple[str, str]]:
        """(to, text) in arrival order, only for the given numbers."""
        with open(FAKESMSC_LOG, "rb") as f:
            f.seek(self.start)
            lines = f.read().decode("utf-8", "replace").splitlines()
        out = []
        for line in lines:
            m = _GOT.search(line)
            if m and m.group(2) in phones:
                out.append((m.group(2), m.group(3)))
        return out

    async def wait_for(
        self, phones: set[str], until: Callable[[list[tuple[str, str]]], bool], wait_s: float = 30
    ) -> list[tuple[str, str]]:
        """Poll until `until(messages)` holds (or wait_s passed); return the messages."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        msgs = self.messages(phones)
        while not until(msgs) and loop.time() < deadline:
            await asyncio.sleep(0.2)
            msgs = self.messages(phones)
        return msgs


@dataclass
class Events:
    """Contract events for one site/service, with sequences growing as ticketing's do."""

    site: str
    service: str = "ktp-el"
    seq: int = 0
    counter_seq: int = 0
    at: datetime | None = None
    tickets: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.site}:{self.service}"

    def _env(self, type_: str, subject: str, data: dict[str, Any]) -> bytes:
        self.seq += 1
        return orjson.dumps(
            {
                "specversion": "1.0",
                "id": uuid.uuid4().hex,
                "source": f"/antre/{self.site}/ticketing",
                "type": type_,
                "time": datetime.now(UTC).isoformat(),
                "subject": subject,
                "partitionkey": self.key,
                "sequence": self.seq,
                "data": data,
            }
        )

    def issued(
        self, number: str, phone: str | None, ahead: int, upcoming: list[str] | None = None
    ) -> tuple[str, bytes]:
        tid = f"{self.site}-{number}"
        at = self.at or datetime.now(UTC)
        data = {
            "ticket_id": tid, "number": number, "service_id": self.service,
            "agency_id": "disdukcapil", "service_day": at.date().isoformat(),
            "priority": "regular", "channel": "kiosk", "issued_at": at.isoformat(),
            "people_ahead": ahead, "estimated_wait_s": 600, "waiting_count": ahead + 1,
            "upcoming": upcoming or [],
            "phone_encrypted": CIPHER.encrypt(phone) if phone else None,
        }  # fmt: skip
        return tid, self._env("antre.ticket.issued", tid, data)

    def called(
        self, number: str, phone: str | None, counter: int, upcoming: list[str],
        age_s: float = 0,
    ) -> bytes:  # fmt: skip
        tid = f"{self.site}-{number}"
        self.counter_seq += 1
        at = (self.at or datetime.now(UTC)) - timedelta(seconds=age_s)
        data = {
            "ticket_id": tid, "number": number, "service_id": self.service,
            "counter_id": f"loket-{counter}", "counter_number": counter, "officer_id": "o1",
            "recall": False, "call_count": 1, "called_at": at.isoformat(), "waited_s": 60,
            "counter_seq": self.counter_seq, "waiting_count": len(upcoming),
            "upcoming": upcoming, "phone_encrypted": CIPHER.encrypt(phone) if phone else None,
        }  # fmt: skip
        return self._env("antre.ticket.called", tid, data)

    def completed(self, number: str, counter: int = 1) -> bytes:
        """The ticket served (a survey SMS follows, if the site has a survey)."""
        tid = f"{self.site}-{number}"
        self.counter_seq += 1
        data = {
            "ticket_id": tid, "number": number, "service_id": self.service,
            "counter_id": f"loket-{counter}", "officer_id": "o1", "outcome": "served",
            "completed_at": (self.at or datetime.now(UTC)).isoformat(), "service_time_s": 300,
            "counter_seq": self.counter_seq, "waiting_count": 0,
        }  # fmt: skip
        return self._env("antre.ticket.completed", tid, data)

    def booking(self, type_: str, code: str, phone: str | None, slot: datetime) -> bytes:
        """A booking event (antre.booking.created, moved or reminder_due) for `slot`."""
        now = (self.at or datetime.now(UTC)).isoformat()
        data: dict[str, Any] = {
            "booking_code": code, "service_id": self.service, "agency_id": "disdukcapil",
            "service_day": slot.date().isoformat(), "slot_start": slot.isoformat(),
            "slot_end": (slot + timedelta(minutes=30)).isoformat(),
            "phone_encrypted": CIPHER.encrypt(phone) if phone else None,
        }  # fmt: skip
        if type_ == "antre.booking.created":
            data["created_at"] = now
        elif type_ == "antre.booking.moved":
            data.update(from_day=slot.date().isoformat(), from_slot_start=now, moved_at=now)
        else:
            data["due_at"] = now
        return self._env(type_, code, data)


Row = tuple[str, str, int, int, bytes]


def notice_row(
    site: str, seq: int, ticket: str, phone: str, kind: Kind = "issued", age_s: float = 0
) -> Row:
    """One applied event for NotifierStore.apply_many: one `kind` notice of `ticket` to `phone`
    (event time `age_s` ago), in the queue `<site>:ktp-el` at sequence `seq`."""
    fields: dict[str, str | int] = {"number": "A-001", "people_ahead": 1, "eta": "10.00 WITA"}
    at_ms = int((time.time() - age_s) * 1000)
    notice = Notice(ticket, kind, "ktp-el", fields, "event", at_ms)
    phone_ref = {"phone": CIPHER.encrypt(phone), "phone_key": number_key(phone, b"test")}
    return (site, f"{site}:ktp-el", 1, seq, plan_json(Plan(notices=[notice]), phone_ref))


def notifier_env(topic: str, dlq: str, **extra: str) -> dict[str, str]:
    """Environment for a notifier process on the test's own topics, sending through Kannel."""
    return {
        "NOTIFIER_TOPIC": topic,
        "NOTIFIER_DEAD_LETTER_TOPIC": dlq,
        "NOTIFIER_GROUP_ID": f"notifier-{uuid.uuid4().hex[:8]}",
        "NOTIFIER_PROVIDER": "kannel",
        **extra,
    }


def metric(url: str, name: str, **labels: str) -> float:
    """Sum of one metric's samples whose labels include `labels` (0 when absent)."""
    total = 0.0
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def dead_letters(bootstrap: str, topic: str, idle_ms: int = 1500) -> list[dict[str, Any]]:
    """Every dead-letter record: {'reason': header, 'consumer': header, 'value': bytes}."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
        enable_auto_commit=False, group_id=None,
    )  # fmt: skip
    await consumer.start()
    out: list[dict[str, Any]] = []
    try:
        while batch := await consumer.getmany(timeout_ms=idle_ms):
            for messages in batch.values():
                for m in messages:
                    h = {k: v.decode() for k, v in m.headers}
                    out.append(
                        {"reason": h.get("antre-dlq-reason", ""),
                         "consumer": h.get("antre-dlq-consumer"), "value": m.value}
                    )  # fmt: skip
    finally:
        await consumer.stop()
    return out


async def produce(bootstrap: str, topic: str, key: str, *values: bytes) -> None:
    """Send events in order on one key (one partition), acks=all."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, v, key=key.encode()) for v in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def in_doubt(redis_url: str, group: str, site: str, ticket: str, phone: str) -> str:
    """An 'issued' notice of `ticket` to `phone`, claimed and never finished, as a notifier
    leaves it when it dies mid-send; in doubt for the notifier of `group` a second later.
    Returns the notice id."""
    import redis.asyncio as aioredis

    redis = aioredis.Redis.from_url(redis_url)
    try:
        # Recorded under another group: the notifier must not claim it before we do.
        store = NotifierStore(redis, group="nobody")
        await store.apply_many([notice_row(site, 1, ticket, phone)], 3600, _now_ms())
        limits = Limits(100, 600_000, 100, 100, {})
        [claimed], _, _, _ = await store.claim(site, "day", _now_ms(), 1, 1000, limits, 3600)
        await redis.sadd(f"notifier:sites:{group}", site)
        return claimed.id
    finally:
        await redis.aclose()


def delivery_report(
    url: str, site: str, notice_id: str, status: int, secret: str | None = DEV_DLR_SECRET
) -> httpx.Response:
    """Kannel's call to the dlr-url of a notice; `secret` None: with no signature at all."""
    params = {"site": site.encode().hex(), "notice": notice_id.encode().hex()}
    if secret is not None:
        params["sig"] = DlrSigner(secret).sign(site, notice_id)
    return httpx.get(f"{url}/api/v1/kannel/dlr", params={**params, "status": str(status)})


def _now_ms() -> int:
    return int(time.time() * 1000)
