"""Kannel alone: paced sendsms with delivery reports, straight from a raw HTTP/1.1 client.

    uv run python bench/notifier/kannel_direct.py --rate 200 --count 1000
    uv run python bench/notifier/kannel_direct.py --no-dlr       # the same without reports

Shows the cost of Kannel's box link (bearerbox <-> smsbox) without its quickack route: with
delivery reports on, Nagle against the delayed ACK holds most replies up to ~40 ms. Compare a
run after `deploy/local/infra.sh up kannel` as root (route on) with one after
`ip route del local 127.0.0.2 dev lo table local` (route off; `infra.sh restart kannel` puts it
back). Delivery reports go to a small HTTP server in this process that answers 200.
"""

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.support.machine import kannel_box_quickack

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


DLR_CONNECTIONS: set[asyncio.StreamWriter] = set()


async def dlr_endpoint(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every delivery report with 200, on a kept-alive connection."""
    DLR_CONNECTIONS.add(writer)
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while await reader.readline():
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    DLR_CONNECTIONS.discard(writer)
    writer.close()


def request(i: int, port: int, dlr_port: int | None) -> bytes:
    params = {
        "username": "antre",
        "password": "antre-dev",
        "from": "ANTRE",
        "to": f"+62811{i:07d}",
        "text": f"Nomor antrean A-{i:03d}, silakan menuju loket 3",
    }
    if dlr_port is not None:
        params["dlr-mask"] = "24"
        params["dlr-url"] = f"http://127.0.0.1:{dlr_port}/dlr?n={i}&status=%d"
    return (
        f"GET /cgi-bin/sendsms?{urlencode(params)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()


async def send(idle: list[Conn], port: int, req: bytes) -> float:
    """One sendsms on a kept-alive connection; milliseconds until the whole reply is read."""
    start = time.perf_counter()
    reader, writer = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
    writer.write(req)
    status = await reader.readline()
    length = 0
    while (line := await reader.readline()) != b"\r\n":
        if line.lower().startswith(b"content-length"):
            length = int(line.split(b":")[1])
    body = await reader.readexactly(length)
    if b" 202 " not in status:
        raise RuntimeError(f"Kannel answered {status!r} {body!r}")
    idle.append((reader, writer))
    return (time.perf_counter() - start) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--port", type=int, default=13013, help="Kannel's sendsms port")
    parser.add_argument("--dlr-port", type=int, default=18999)
    parser.add_argument("--no-dlr", action="store_true", help="ask for no delivery report")
    args = parser.parse_args()

    server = await asyncio.start_server(dlr_endpoint, "127.0.0.1", args.dlr_port)
    idle: list[Conn] = []
    dlr_port = None if args.no_dlr else args.dlr_port
    tasks = []
    start = time.perf_counter()
    for i in range(args.count):
        await asyncio.sleep(max(0.0, start + i / args.rate - time.perf_counter()))
        tasks.append(asyncio.create_task(send(idle, args.port, request(i, args.port, dlr_port))))
    lat = sorted(await asyncio.gather(*tasks))
    await asyncio.sleep(1.0)  # let the last delivery reports arrive before closing
    for _, writer in idle:
        writer.close()
    server.close()
    for writer in list(DLR_CONNECTIONS):
        writer.transport.abort()  # the handler reads EOF and returns
    await asyncio.sleep(0.1)

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(len(lat) * q))]

    print(
        f"sendsms paced {args.rate:g}/s x {args.count}, delivery reports "
        f"{'off' if args.no_dlr else 'on'}, box link quickack "
        f"{'on' if kannel_box_quickack() else 'off'}: p50 {pct(0.5):.1f} ms, "
        f"p90 {pct(0.9):.1f} ms, p99 {pct(0.99):.1f} ms, max {lat[-1]:.1f} ms, "
        f"mean {statistics.fmean(lat):.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
