"""After a simulated day, no phone number rests or travels in clear anywhere the hall left things.

A short, fast day (tools/simulator) runs through the three services as processes: ticketing
issues tickets, most with a phone number, and its relay publishes them to Kafka; the display
projects them onto a board that a test board follows over SSE; the notifier sends SMS through
the real Kannel to fakesmsc. Visitors also type phone numbers ticketing must refuse (too long,
a landline, a foreign number, too many characters, the wrong JSON type, a broken body, an
unknown service, an idempotency key reused with another number).

Then every place is searched for every number the day used, in every spelling a phone may
take ("0812 3456 7890", "+62812-3456-7890", "6281234567890", "81234567890", URL-encoded, …):
the services' logs (what they wrote during the test) and Kannel's, every value of every Redis
key of the site and the name of every key in the database, every record of every Kafka topic
of the run, each service's /metrics, the board's SSE stream, snapshot and page, and every HTTP
response the day produced. A leak fails the test naming the place and what surrounds the
number. The design has a number in clear only in the notifier's hands as it sends an SMS:
events carry it Fernet-encrypted, logs masked.

Not searched: fakesmsc's log. fakesmsc plays the handsets' side of the phone network, and a
destination number is what an SMS is addressed to: it must be there. The test reads it instead
to prove that the SMS went out and that the search finds a number in the spelling it has.
"""

import asyncio
import json
import random
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from antre_contracts.phone import DEV_PHONE_KEY, PhoneCipher

from tests.support.demo import COORDINATOR, KIOSK
from tests.support.hall import Hall, kafka_records, own_hall, redis_values
from tests.support.processes import REPO
from tests.support.waiting import eventually
from tools.simulator.cli import parse as simulator_args
from tools.simulator.cli import simulate
from tools.simulator.drive import Tally

pytestmark = pytest.mark.e2e
FAKESMSC = REPO / "var" / "log" / "fakesmsc.log"
KANNEL_LOGS = [REPO / "var" / "log" / f"kannel-{box}.log" for box in ("bearerbox", "smsbox")]
"""Kannel runs without access log and logs warnings only (deploy/local/kannel/kannel.conf)
because its INFO lines carried every recipient's number: that promise is searched too."""
DAY = ["--speed", "300", "--visitors", "90", "--hours", "1", "--phone-share", "0.85"]
CIPHER = PhoneCipher(DEV_PHONE_KEY)
DAY_SEED = 9457
"""A fixed day (arrivals, services, numbers), so a finding can be played again."""

# A phone's digits, with the separators people and formatters put between them.
_DIGITS = re.compile(rb"\d(?:[ \t\-.()/]{0,3}\d)*")


def significant(phone: str) -> str:
    """The digits that identify a number whatever its spelling: '0812 3456 7890',
    '+62 812-3456-7890' and '6281234567890' are all '81234567890'."""
    digits = re.sub(r"\D", "", phone)
    for prefix in ("62", "0"):
        if digits.startswith(prefix) and len(digits) > 9:
            return digits[len(prefix) :]
    return digits


def sightings(content: bytes, needles: dict[str, str]) -> list[tuple[str, str]]:
    """(number as typed, what surrounds it) for each number found in `content`, by its
    significant digits (the keys of `needles`). Digit runs are read across separators, so a
    number split into groups, or behind '+', '%2B' or a country code, is found too."""
    found = []
    for run in _DIGITS.finditer(content):
        digits = re.sub(rb"\D", b"", run.group()).decode()
        for needle, phone in needles.items():
            if needle in digits:
                around = content[max(0, run.start() - 60) : run.end() + 60]
                found.append((phone, around.decode("utf-8", "replace")))
    return found


def test_the_search_finds_a_number_in_every_spelling_but_not_its_mask() -> None:
    needles = {significant("0812 3456 7890"): "0812 3456 7890"}
    spellings = [
        "0812 3456 7890", "081234567890", "+6281234567890", "6281234567890", "81234567890",
        "+62 812-3456-7890", "(0812) 3456.7890", "to=%2B6281234567890&text=x",
        '{"phone":"+6281234567890"}', "62-812/3456/7890",
    ]  # fmt: skip
    for spelling in spellings:
        assert sightings(f"at {spelling} here".encode(), needles), spelling
    masked = ["+62812*****890", "0812****7890", "ticket 20261203-A017 at 1733212345678"]
    for other in masked:
        assert not sightings(other.encode(), needles), other


@dataclass
class Recorded:
    """Every HTTP response the test's clients received, by where it came from."""

    responses: list[tuple[str, bytes]] = field(default_factory=list)

    async def hook(self, response: httpx.Response) -> None:
        await response.aread()
        request = response.request
        where = f"HTTP {request.method} {request.url.path} -> {response.status_code}"
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
        self.responses.append((where, headers + b"\n\n" + response.content))


def number(rng: random.Random, head: str, digits: int) -> str:
    return head + "".join(rng.choices("0123456789", k=digits))


async def refused_numbers(api: httpx.AsyncClient, rng: random.Random) -> list[str]:
    """Numbers visitors type that ticketing refuses, each answer recorded by the client's
    hooks; returns the numbers as typed."""
    typed = {
        "too long": number(rng, "0812", 10),
        "a landline": number(rng, "0541 ", 7),
        "foreign": number(rng, "+1 202 ", 7),
        "in a sentence over 32 characters": number(rng, "0812 ", 8),
        "a JSON number": number(rng, "812", 8),
        "in a broken body": number(rng, "0813", 8),
        "also in a field nobody asked for": number(rng, "0813", 8),
        "for an unknown service": number(rng, "0857", 8),
    }
    bodies: list[bytes] = [
        json.dumps({"service_id": "ktp-el", "phone": typed["too long"]}).encode(),
        json.dumps({"service_id": "ktp-el", "phone": typed["a landline"]}).encode(),
        json.dumps({"service_id": "ktp-el", "phone": typed["foreign"]}).encode(),
        json.dumps(
            {"service_id": "ktp-el", "phone": f"SMS ke {typed['in a sentence over 32 characters']}"
             " ya, terima kasih"}
        ).encode(),
        json.dumps({"service_id": "ktp-el", "phone": int(typed["a JSON number"])}).encode(),
        b'{"service_id": "ktp-el", "phone": "%s"' % typed["in a broken body"].encode(),
        json.dumps(
            {"service_id": "ktp-el", "phone": typed["also in a field nobody asked for"],
             "telepon": typed["also in a field nobody asked for"]}
        ).encode(),
        json.dumps({"service_id": "tidak-ada", "phone": typed["for an unknown service"]}).encode(),
    ]  # fmt: skip
    headers = {**KIOSK, "Content-Type": "application/json"}
    for body in bodies:
        r = await api.post("/api/v1/tickets", content=body, headers=headers)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
    # One key, then another number under it: the replay is refused.
    first, second = number(rng, "0857", 8), number(rng, "0857", 8)
    keyed = {**KIOSK, "Idempotency-Key": uuid.uuid4().hex}
    for phone, status in ((first, 201), (second, 422)):
        ticket = {"service_id": "kk", "phone": phone}
        r = await api.post("/api/v1/tickets", json=ticket, headers=keyed)
        assert r.status_code == status, r.text
    return [*typed.values(), first, second]


async def follow_board(url: str, into: bytearray) -> None:
    """A hall board's SSE stream, everything it receives, until cancelled."""
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as client,
        client.stream("GET", f"{url}/api/v1/board/stream") as stream,
    ):
        assert stream.status_code == 200, await stream.aread()
        async for chunk in stream.aiter_bytes():
            into.extend(chunk)


async def look_around(hall: Hall, api: httpx.AsyncClient, ticket_ids: Iterable[str]) -> None:
    """What a visitor, an officer and a board read at the end of the day (recorded)."""
    for ticket_id in ticket_ids:
        await api.get(f"/api/v1/tickets/{ticket_id}")
        await api.get(f"/t/{ticket_id}")
    catalog = (await api.get("/api/v1/catalog")).json()
    for service in catalog["services"]:
        await api.get(f"/api/v1/queues/{service['id']}")
    for counter in catalog["counters"]:
        await api.get(f"/api/v1/counters/{counter['id']}", headers=COORDINATOR)
    async with httpx.AsyncClient(timeout=10, event_hooks=api.event_hooks) as other:
        for url in hall.urls.values():
            await other.get(f"{url}/metrics")
        await other.get(f"{hall.urls['display']}/api/v1/board")
        await other.get(f"{hall.urls['display']}/board")


def new_bytes(path: Path, start: int) -> bytes:
    if not path.exists():
        return b""
    with open(path, "rb") as f:
        f.seek(start)
        return f.read()


async def play_day(hall: Hall, recorded: Recorded) -> tuple[Tally, list[str]]:
    """The simulated day, the refused numbers, then a look around; every answer recorded.
    Returns the day's tally and the refused numbers as typed."""
    hooks: dict[str, list[Any]] = {"response": [recorded.hook]}
    args = simulator_args(["--url", hall.urls["ticketing"], *DAY, "--seed", str(DAY_SEED)])
    tally = await simulate(args, hooks)
    async with httpx.AsyncClient(
        base_url=hall.urls["ticketing"], timeout=10, event_hooks=hooks
    ) as api:
        refused = await refused_numbers(api, random.Random(DAY_SEED))
        await look_around(hall, api, [t for action, t in tally.accepted if action == "issue"])
    return tally, refused


async def test_no_phone_number_of_a_day_is_in_clear_in_logs_redis_kafka_metrics_boards_or_answers(
    kafka_bootstrap: str, redis_url: str
) -> None:
    sms_start = FAKESMSC.stat().st_size if FAKESMSC.exists() else 0
    kannel_starts = {p: p.stat().st_size if p.exists() else 0 for p in KANNEL_LOGS}
    recorded, board = Recorded(), bytearray()
    async with own_hall(kafka_bootstrap, redis_url) as hall:
        following = asyncio.create_task(follow_board(hall.urls["display"], board))
        try:
            tally, refused = await play_day(hall, recorded)
            day = {significant(p): p for p in tally.phones}

            async def every_number_got_an_sms() -> bool:
                network = new_bytes(FAKESMSC, sms_start)
                return {phone for phone, _ in sightings(network, day)} == set(day.values())

            await eventually(every_number_got_an_sms, "an SMS for every number of the day", 60)
            await asyncio.sleep(2)  # the day's last board updates
        finally:
            following.cancel()
        keys = await redis_values(redis_url, f"*{hall.site}*")
        everywhere = await redis_values(redis_url, "*", values=False)
        records = {topic: await kafka_records(kafka_bootstrap, topic) for topic in hall.topics}
    # Read after the services stopped: what they log on the way out counts too.
    logs = {f"{name} log {s.log_path}": hall.new_log(name) for name, s in hall.services.items()}
    logs |= {f"Kannel log {p}": new_bytes(p, start) for p, start in kannel_starts.items()}

    # Controls: the day carried its numbers through everything the sweep then reads.
    assert len(day) >= 40, tally.summary()
    assert all(logs[f"{n} log {s.log_path}"] for n, s in hall.services.items()), "a log is empty"
    assert any(b":tk:" in k for k in keys) and any(b"notifier" in k for k in keys), list(keys)
    carried = {significant(CIPHER.decrypt(t.decode())) for t in encrypted(records[hall.topics[0]])}
    assert carried >= day.keys(), "the events did not carry the day's numbers (encrypted)"
    assert b"event: update" in board, "the board was never updated"

    places: list[tuple[str, bytes]] = [*logs.items(), ("board SSE stream", bytes(board))]
    places += [(f"Redis key {k.decode()!r}", k + b"\n" + v) for k, v in keys.items()]
    places += [("Redis key names (whole database)", b"\n".join(everywhere))]
    places += [
        (f"Kafka {topic} record {r.split(b' ', 1)[0].decode()}", r)
        for topic, found in records.items()
        for r in found
    ]
    places += recorded.responses
    phones = day | {significant(p): p for p in refused}
    print(
        f"swept {len(places)} places, {sum(len(c) for _, c in places)} bytes, for"
        f" {len(phones)} numbers: {len(logs)} logs, {len(keys)} Redis keys, "
        f"{sum(map(len, records.values()))} Kafka records, {len(recorded.responses)} answers"
    )
    findings = [
        f"{where}: {phone!r} in …{around!r}…"
        for where, content in places
        for phone, around in sightings(content, phones)
    ]
    assert not findings, f"{len(findings)} phone numbers in clear:\n" + "\n".join(findings)


def encrypted(records: list[bytes]) -> list[bytes]:
    """The Fernet tokens of every `phone_encrypted` in the records."""
    return [t for r in records for t in re.findall(rb'"phone_encrypted":\s*"([^"]+)"', r)]
