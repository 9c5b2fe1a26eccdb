"""The services' Redis client (antre_contracts.redis_pool) on a real Redis, on both event loops.

A connection whose transport was closed while it sat in the pool (redis-py's cluster client
does that to a node's free connections after an error, and the connection looks connected until
`disconnect` has awaited `wait_closed`) must cost the caller nothing: the command goes out again
on a new connection. On uvloop, the services' loop, redis-py let a RuntimeError through instead
(a finish answered 500 in CI during a cluster failover)."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop
from antre_contracts.redis_pool import redis_client

from tests.conftest import REDIS_URL

LOOPS: dict[str, Callable[[Coroutine[Any, Any, Any]], Any]] = {
    "uvloop": uvloop.run,
    "asyncio": asyncio.run,
}


async def _closed_under_the_pool() -> tuple[bool, int, str]:
    client = redis_client(REDIS_URL, max_connections=1)
    try:
        await client.ping()
        pool = client.connection_pool
        conn = await pool.get_connection()  # type: ignore[no-untyped-call]
        first = conn._writer
        assert first is not None
        first.close()  # what `disconnect` does before it awaits `wait_closed`
        assert conn.is_connected and first.transport.is_closing()
        await pool.release(conn)
        key = "antre:test:redis-pool"
        answered = await client.set(key, "x", ex=10)  # on the one connection there is
        again = await pool.get_connection()  # type: ignore[no-untyped-call]
        reconnected = again._writer is not first
        await pool.release(again)
        value = await client.get(key)
        return bool(answered), int(reconnected), value.decode() if isinstance(value, bytes) else ""
    finally:
        await client.aclose()


@pytest.mark.parametrize("loop", LOOPS)
def test_a_connection_closed_in_the_pool_is_reconnected_not_an_error(loop: str) -> None:
    assert LOOPS[loop](_closed_under_the_pool()) == (True, 1, "x")
