"""Every service's Redis client, built one way: what survives a Redis restart.

- A blocking pool: more callers than connections wait for one (redis-py's default pool raises
  "Too many connections", a 500 for a kiosk in a morning rush).
- Connection errors and timeouts are retried with backoff (3 times, 50 ms growing to 1 s), so a
  pooled connection that died with a restarted Redis is replaced instead of failing its caller.
  That re-sends a command whose answer was lost: every Antre script is safe to repeat (an op id,
  a sequence, or a state check decides).
- A connection idle for `health_check_interval` is pinged before use; one that does not
  answer is reconnected first.
- Connecting gives up after a second: a Redis that is away makes callers fail fast (a 503 for
  HTTP), not hang.
"""

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
"""The errors that mean "Redis is away or too slow" (BusyLoadingError, a Redis still reading
its AOF after a restart, is a ConnectionError): retry later. Any other RedisError is a bug or
bad data."""


def redis_client(
    url: str, max_connections: int, socket_timeout: float = 5.0, wait_s: float = 10.0
) -> aioredis.Redis:
    """A client on a blocking pool of `max_connections`; callers wait up to `wait_s` for one.
    `socket_timeout` must exceed the longest blocking read (XREAD BLOCK) the service makes."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=wait_s,
        socket_timeout=socket_timeout,
        socket_connect_timeout=1.0,
        health_check_interval=5,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), 3),
    )
    return aioredis.Redis.from_pool(pool)  # aclose() closes the pool too
