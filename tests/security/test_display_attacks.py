"""Attacks on the display anyone on the hall's network could make, one test each, against the
real Kafka and Redis and a real uvicorn serving the display in this process.

Each names the attack it stops; each failed before its fix (the security issue lists them).
"""

import asyncio
import contextlib
import re
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import redis.asyncio as aioredis
from display import texts

from tests.integration.display.conftest import Events, Running, read_sse, running
from tests.integration.display.conftest import display_settings as display_settings  # fixture
from tests.integration.display.conftest import events as events  # fixture
from tests.integration.display.conftest import produce as produce  # fixture
from tests.support.waiting import eventually

STREAM = "/api/v1/board/stream"
DROPPED = "display_boards_dropped_total"


async def metric(http: httpx.AsyncClient, name: str, **labels: str) -> float:
    """Sum of one metric's samples whose labels include `labels` (0 when absent)."""
    total = 0.0
    for line in (await http.get("/metrics")).text.splitlines():
        if not line.startswith((name + "{", name + " ")):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@contextlib.asynccontextmanager
async def stalled_board(port: int) -> AsyncIterator[socket.socket]:
    """A board that asks for the stream and then never reads: its receive window is tiny (set
    before connecting, so it is the window the connection gets) and stays shut once full."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, ("127.0.0.1", port))
        request = f"GET {STREAM} HTTP/1.1\r\nHost: display\r\nAccept: text/event-stream\r\n\r\n"
        await loop.sock_sendall(sock, request.encode())
        yield sock
    finally:
        sock.close()


async def append_updates(redis: aioredis.Redis, site: str, n: int) -> str:
    """Append n board updates to the board stream as apply.lua does; the id of the last. Each
    is the largest kind (about 2 kB): a day beginning, with the hall's list of calls."""
    at = datetime.now(UTC).isoformat()
    call = {
        "service_id": "ktp-el", "counter_id": "loket-1", "counter_number": 1, "recall": False,
        "at": at, "announce": "Nomor antrean zet nol nol satu, silakan menuju loket satu",
    }  # fmt: skip
    recent = [{**call, "number": f"Z-{k:03d}"} for k in range(8)]
    pipe = redis.pipeline(transaction=False)
    for i in range(n):
        update = {"type": "antre.queue.epoch_started", "waiting": {"kk": i}, "recent": recent}
        key = f"{{{site}}}:display:board"
        pipe.xadd(key, {"u": orjson.dumps(update)}, maxlen=20_000, approximate=True)
    ids = await pipe.execute()
    last: bytes = ids[-1]
    return last.decode()


async def flood_until_dropped(
    display: Running, redis: aioredis.Redis, site: str, **reason: str
) -> None:
    """Append updates until the display has dropped a board (its socket buffers fill first)."""

    async def flood() -> None:
        while True:
            await append_updates(redis, site, 200)
            await asyncio.sleep(0.05)

    flooding = asyncio.create_task(flood())
    try:

        async def dropped() -> bool:
            return await metric(display.http, DROPPED, **reason) > 0

        await eventually(dropped, "the board that does not read is dropped", 60)
    finally:
        flooding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flooding


async def boards_connected(display: Running, n: int) -> None:
    async def connected() -> bool:
        return await metric(display.http, "display_boards_connected") == n

    await eventually(connected, f"{n} boards connected")


# 1. Hold open so many board streams that the display runs out of memory or file descriptors


async def test_boards_beyond_the_cap_get_a_503_problem_with_retry_after(
    new_topic, display_settings
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with running(display_settings(topic, dlq, max_boards=2)) as display:
        async with contextlib.AsyncExitStack() as boards:
            for _ in range(2):
                response = await boards.enter_async_context(display.http.stream("GET", STREAM))
                assert response.status_code == 200
            async with display.http.stream("GET", STREAM) as refused:
                assert refused.status_code == 503
                problem = orjson.loads(await refused.aread())
            assert refused.headers["content-type"] == "application/problem+json"
            assert int(refused.headers["Retry-After"]) > 0
            assert problem["type"] == "/problems/too_many_boards"
            assert problem["status"] == 503 and problem["detail"] == texts.BOARDS_FULL
            assert await metric(display.http, "display_boards_refused_total") == 1
        await boards_connected(display, 0)  # a board that leaves frees its place
        async with display.http.stream("GET", STREAM) as again:
            assert again.status_code == 200


# 2. Connect a board and never read: the display keeps its queue of updates forever


async def test_a_board_that_stops_reading_is_dropped_after_the_send_timeout(
    new_topic, display_settings, redis_client, site_id
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    # A queue no flood fills: only the send timeout can drop the board. The kernel's timeout
    # runs from when the window shut, before the socket buffers filled: much longer, so that
    # the display counts the drop before the kernel closes the connection.
    settings = display_settings(
        topic, dlq, send_timeout_s=1.0, tcp_user_timeout_s=15.0, client_queue=1_000_000
    )
    async with running(settings) as display, stalled_board(settings.port) as sock:
        await boards_connected(display, 1)
        await flood_until_dropped(display, redis_client, site_id, reason="send_timeout")
        assert await metric(display.http, DROPPED) == 1
        await boards_connected(display, 0)
        # Still never reading, the board's client holds no socket of the display's either.
        client_port = sock.getsockname()[1]

        async def released() -> bool:
            return not display_end_open(settings.port, client_port)

        await eventually(released, "the display's end of the connection is closed", 30)


def display_end_open(port: int, client_port: int) -> bool:
    """The display's end of a connection from `client_port` exists (Linux's /proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote = line.split()[1:3]
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port:
            return True
    return False


# 3. Make the dropped-boards metric climb without end (a false alarm, a hidden real one)


async def test_a_board_dropped_for_falling_behind_is_counted_once(
    new_topic, display_settings, redis_client, site_id
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    settings = display_settings(topic, dlq, send_timeout_s=600, heartbeat_s=0.1)
    async with running(settings) as display, stalled_board(settings.port):
        await boards_connected(display, 1)
        await flood_until_dropped(display, redis_client, site_id)
        # More updates and heartbeats pass by the dropped board; a board that reads gets them.
        async with display.http.stream("GET", STREAM) as response, asyncio.timeout(30):
            frames = read_sse(response)
            assert (await anext(frames)).event == "snapshot"
            last = await append_updates(redis_client, site_id, 200)
            while (await anext(frames)).id != last:
                pass
            beats = 0
            while beats < 3:
                beats += (await anext(frames)).event == "heartbeat"
        assert await metric(display.http, DROPPED) == 1
        assert await metric(display.http, DROPPED, reason="overflow") == 1


# 4. Read off the hall board who is old, disabled or pregnant, and the ids that open tickets


async def test_boards_carry_ticket_numbers_never_ticket_ids_or_priorities(
    new_topic, display_settings, events: Events, produce
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    site, now = events.site, datetime.now(UTC).isoformat()
    tickets = {
        f"A-{n:03d}": (f"tid-{uuid.uuid4().hex}", priority)
        for n, priority in enumerate(["lansia", "disabilitas", "ibu_hamil"], start=1)
    }
    messages = []
    for counter, (number, (ticket_id, priority)) in enumerate(tickets.items(), start=1):
        ticket = {"ticket_id": ticket_id, "number": number, "service_id": "ktp-el"}
        pk = f"{site}:ktp-el"
        issued = {
            **ticket, "agency_id": "disdukcapil", "service_day": now[:10], "priority": priority,
            "channel": "kiosk", "issued_at": now, "people_ahead": 0, "estimated_wait_s": 0,
            "waiting_count": 1, "upcoming": [ticket_id],
        }  # fmt: skip
        called = {
            **ticket, "counter_id": f"loket-{counter}", "counter_number": counter,
            "officer_id": "o", "recall": False, "call_count": 1, "called_at": now, "waited_s": 5,
            "counter_seq": 1, "waiting_count": 0, "upcoming": [],
        }  # fmt: skip
        started = {
            **ticket, "counter_id": f"loket-{counter}", "officer_id": "o", "started_at": now,
            "counter_seq": 2,
        }  # fmt: skip
        messages += [
            (pk, events.envelope("antre.ticket.issued", pk, issued)),
            (pk, events.envelope("antre.ticket.called", pk, called)),
            (pk, events.envelope("antre.ticket.service_started", pk, started)),
        ]
    # No hall content: the site's own messages may name the priority groups ("prioritas bagi
    # lansia, penyandang disabilitas, ibu hamil"), which is public text, not a ticket's.
    async with (
        running(display_settings(topic, dlq, hall_path="")) as display,
        display.http.stream("GET", STREAM) as live,
    ):
        chunks = live.aiter_bytes()
        await read_until(chunks, lambda got: b"event: snapshot" in got)  # subscribed
        await produce(topic, *messages)
        seen = await read_until(chunks, all_started)
        # A board resuming after the first update gets the rest, read back from Redis.
        first = re.search(rb"id: (\S+)\nevent: update", seen)
        assert first is not None, seen
        resume = {"Last-Event-ID": first[1].decode()}
        async with display.http.stream("GET", STREAM, headers=resume) as resumed:
            replayed = await read_until(resumed.aiter_bytes(), all_started)
        assert b"event: snapshot" not in replayed  # the resume path, not a fresh snapshot
        served = [(await display.http.get(path)).content for path in ("/api/v1/board", "/board")]
    body = b"".join([seen, replayed, *served])
    assert all(number.encode() in body for number in tickets), "the numbers are on the board"
    leaked = [t for t, _ in tickets.values() if t.encode() in body]
    leaked += [w for w in ("lansia", "disabilitas", "ibu_hamil", "ibu hamil") if w in body.decode()]
    assert not leaked, f"served to a board: {leaked}"


def all_started(got: bytes) -> bool:
    """Service began for all three tickets: their last events."""
    return got.count(b"antre.ticket.service_started") == 3


async def read_until(chunks: AsyncIterator[bytes], enough: Callable[[bytes], bool]) -> bytes:
    """A stream's bytes until they are `enough` (20 s at most)."""
    got = b""
    async with asyncio.timeout(20):
        async for chunk in chunks:
            got += chunk
            if enough(got):
                return got
    raise AssertionError(f"the stream ended first: {got!r}")
