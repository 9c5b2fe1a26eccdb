"""Kannel alone: paced sendsms with delivery reports, through the notifier's own Kannel client.

    uv run python bench/notifier/kannel_direct.py --rate 200 --count 1000
    uv run python bench/notifier/kannel_direct.py --no-dlr       # the same without reports

Shows the cost of Kannel's box link (bearerbox <-> smsbox) without its quickack route: with
delivery reports on, Nagle against the delayed ACK holds most replies up to ~40 ms. Compare a
run after `deploy/local/infra.sh up kannel` as root (route on) with one after
`ip route del local 127.0.0.2 dev lo table local` (route off; `infra.sh restart kannel` puts it
back). The requests are the notifier's (`KannelGateway`, its keep-alive pool and dlr-url);
delivery reports go to a small HTTP server in this process that answers 200 to all.
"""

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from notifier.config import Settings
from notifier.gateways.kannel import KannelGateway

from bench.support.http import percentile
from bench.support.machine import kannel_box_quickack

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


async def send(gateway: KannelGateway, i: int) -> float:
    """One sendsms; milliseconds until Kannel's 202 is read (GatewayError otherwise)."""
    start = time.perf_counter()
    await gateway.submit(
        f"+62811{i:07d}", f"Nomor antrean A-{i:03d}, silakan ke loket 3", "b", str(i)
    )
    return (time.perf_counter() - start) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--port", type=int, default=13013, help="Kannel's sendsms port")
    parser.add_argument("--dlr-port", type=int, default=18999)
    parser.add_argument("--no-dlr", action="store_true", help="ask for no delivery report")
    args = parser.parse_args()

    gateway = KannelGateway(
        Settings(
            provider="kannel",
            kannel_url=f"http://127.0.0.1:{args.port}/cgi-bin/sendsms",
            in_doubt="drop" if args.no_dlr else "dlr",  # dlr: each request asks for a report
            public_url=f"http://127.0.0.1:{args.dlr_port}",
        )
    )
    server = await asyncio.start_server(dlr_endpoint, "127.0.0.1", args.dlr_port)
    tasks = []
    start = time.perf_counter()
    for i in range(args.count):
        await asyncio.sleep(max(0.0, start + i / args.rate - time.perf_counter()))
        tasks.append(asyncio.create_task(send(gateway, i)))
    lat = await asyncio.gather(*tasks)
    await asyncio.sleep(1.0)  # let the last delivery reports arrive before closing
    await gateway.aclose()
    server.close()
    for writer in list(DLR_CONNECTIONS):
        writer.transport.abort()  # the handler reads EOF and returns
    await asyncio.sleep(0.1)

    print(
        f"sendsms paced {args.rate:g}/s x {args.count}, delivery reports "
        f"{'off' if args.no_dlr else 'on'}, box link quickack "
        f"{'on' if kannel_box_quickack() else 'off'}: p50 {percentile(lat, 50):.1f} ms, "
        f"p90 {percentile(lat, 90):.1f} ms, p99 {percentile(lat, 99):.1f} ms, "
        f"max {max(lat):.1f} ms, mean {statistics.fmean(lat):.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
