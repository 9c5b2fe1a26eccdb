"""A ticketing app in-process on the real Redis and Kafka, with its own site, topic and clock."""

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from ticketing.app import create_app
from ticketing.config import Settings
from ticketing.domain.clock import FixedClock

COORDINATOR = "test-koordinator"
KIOSK = "test-kiosk-1"
SERVICES = [("ktp", "A", 6), ("kk", "B", 5), ("akta", "C", 8)]
# Ten counters share the three services, each with its own order of preference.
COUNTERS = [
    [["ktp", "kk"], ["ktp", "akta"], ["kk", "ktp"], ["kk", "akta"], ["akta", "ktp"]][i % 5]
    for i in range(10)
]


def write_catalog(
    path: Path,
    quota: int | None = None,
    last_ticket: str | None = None,
    booking_quota: int | None = None,
    multi_agency: bool = False,
) -> Path:
    """`booking_quota`: ktp can be booked online in 30-minute slots, and the site opens on
    Tuesday too (08.00-15.00: 14 slots; 8 counters serve ktp)."""
    hours = "mon = { open = 08:00:00, close = 15:00:00 }"
    if booking_quota is not None:
        hours += "\ntue = { open = 08:00:00, close = 15:00:00 }"
    lines = [
        '[site]\nid = "test"\nname = "MPP Uji"\ntimezone = "Asia/Makassar"',
        f"[site.hours]\n{hours}",
        "[rules]\npriority_streak = 2\nageing_minutes = 30\nservice_time_window = 5",
        '[[zones]]\nid = "a"\nname = "Zona A"',
        '[[agencies]]\nid = "dukcapil"\nname = "Disdukcapil"\nshort_name = "Dukcapil"',
    ]
    agency_of = {"ktp": "dukcapil", "kk": "dukcapil", "akta": "dukcapil"}
    if multi_agency:  # a visit across agencies: kk at BPJS, akta at Samsat
        agency_of.update(kk="bpjs", akta="samsat")
        lines.append('[[agencies]]\nid = "bpjs"\nname = "BPJS Kesehatan"\nshort_name = "BPJS"')
        lines.append('[[agencies]]\nid = "samsat"\nname = "Samsat"\nshort_name = "Samsat"')
    for sid, prefix, minutes in SERVICES:
        extra = ""
        if sid == "ktp" and quota is not None:
            extra += f"\ndaily_quota = {quota}"
        if sid == "ktp" and last_ticket is not None:
            extra += f"\nlast_ticket = {last_ticket}"
        if sid == "ktp" and booking_quota is not None:
            extra += f"\nslot_minutes = 30\nbooking_quota = {booking_quota}"
        lines.append(
            f'[[services]]\nid = "{sid}"\nagency = "{agency_of[sid]}"\nname = "Layanan {sid}"\n'
            f'prefix = "{prefix}"\nzone = "a"\navg_service_minutes = {minutes}{extra}'
        )
    for i, services in enumerate(COUNTERS, start=1):
        lines.append(
            f'[[counters]]\nid = "loket-{i}"\nnumber = {i}\nname = "Loket {i}"\nzone = "a"\n'
            f"services = {services!r}".replace("'", '"')
        )
    token_hash = hashlib.sha256(COORDINATOR.encode()).hexdigest()
    counters = [f"loket-{i}" for i in range(1, len(COUNTERS) + 1)]
    lines.append(
        f'[[officers]]\nid = "koordinator"\nname = "Koordinator"\nrole = "coordinator"\n'
        f'counters = {counters!r}\ntoken_sha256 = "{token_hash}"'.replace("'", '"')
    )
    lines.append(
        '[[officers]]\nid = "petugas-1"\nname = "Petugas 1"\ncounters = ["loket-1"]\n'
        f'token_sha256 = "{hashlib.sha256(b"test-loket-1").hexdigest()}"'
    )
    lines.append(
        f'[[kiosks]]\nid = "kios-1"\nname = "Kios 1"\n'
        f'token_sha256 = "{hashlib.sha256(KIOSK.encode()).hexdigest()}"'
    )
    path.write_text("\n\n".join(lines) + "\n")
    return path


async def _as_kiosk(request: httpx.Request) -> None:
    """Tickets are issued by the test kiosk unless a test says who issues them (a header of
    its own, or `X-Test-Public: 1` for the public channel)."""
    if request.method != "POST" or request.url.path != "/api/v1/tickets":
        return
    if request.headers.pop("x-test-public", None) is None:
        request.headers.setdefault("Authorization", f"Bearer {KIOSK}")


AS_KIOSK: dict[str, list[Any]] = {"request": [_as_kiosk]}


@dataclass
class Ticketing:
    http: httpx.AsyncClient
    redis: aioredis.Redis
    topic: str
    site: str
    clock: FixedClock
    prefix: str
    app: Any = None

    def auth(self, token: str = COORDINATOR) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def outbox_drained(self, within_s: float = 60.0) -> None:
        """Wait until the relay has had every outbox entry acknowledged by Kafka."""
        async with asyncio.timeout(within_s):
            while await self.redis.xlen(f"{self.prefix}:outbox") > 0:
                await asyncio.sleep(0.05)


TicketingFactory = Callable[..., "AsyncIterator[Ticketing]"]


async def all_tasks_working(app: Any, within_s: float = 30.0) -> None:
    """Until every background task of the app reports itself working."""
    async with asyncio.timeout(within_s):
        while app.state.tasks.down():
            await asyncio.sleep(0.02)


@pytest.fixture
def make_ticketing(tmp_path: Path, site_id: str, new_topic, kafka_bootstrap: str, redis_url: str):  # type: ignore[no-untyped-def]
    """Start ticketing in-process (lifespan included) with an injected clock."""

    @asynccontextmanager
    async def start(
        at: datetime | None = None,
        quota: int | None = None,
        last_ticket: str | None = None,
        booking_quota: int | None = None,
        multi_agency: bool = False,
        enforce_hours: bool = False,
        redis_url: str = redis_url,
        **settings_: Any,
    ) -> AsyncIterator[Ticketing]:
        topic = await new_topic()
        settings = Settings(
            kafka_bootstrap=kafka_bootstrap,
            redis_url=redis_url,
            topic=topic,
            site_id=site_id,
            catalog_path=write_catalog(
                tmp_path / "catalog.toml", quota, last_ticket, booking_quota, multi_agency
            ),
            enforce_hours=enforce_hours,
            kiosk_rate="100000/minute",  # the tests' kiosk issues as fast as they ask
            **settings_,
        )
        clock = FixedClock(at or datetime(2026, 11, 30, 2, 0, tzinfo=UTC))  # Monday 10.00 WITA
        app = create_app(settings, clock)
        async with app.router.lifespan_context(app):
            await all_tasks_working(app)  # the library loaded, the day begun, Kafka reached
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://ticketing", event_hooks=AS_KIOSK
            ) as http:
                prefix = f"{{{site_id}}}:tk"
                yield Ticketing(http, app.state.redis, topic, site_id, clock, prefix, app)

    return start
