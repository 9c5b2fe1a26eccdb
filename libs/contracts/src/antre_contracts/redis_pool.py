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
- A command written to a connection that was closed under it is a lost connection (retried,
  a 503), not a RuntimeError (a 500): see `_write_or_lost`.

A Redis Cluster is named by the scheme `redis+cluster://` (`rediss+cluster://` for TLS) and one
or more of its nodes: `redis+cluster://[user:password@]host:port[,host:port...][/]`. The client
is then redis-py's `RedisCluster` (see `cluster_client`); every key a service makes carries its
site's hash tag (`{site}:...`), so one site lives in one slot and every script and pipeline stays
on one master.
"""

from collections.abc import Iterable
from typing import Any, cast
from urllib.parse import unquote

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, PipelineCommand, RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import AskError, ClusterDownError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
"""The errors that mean "Redis is away or too slow" (BusyLoadingError, a Redis still reading
its AOF after a restart, is a ConnectionError): retry later. Any other RedisError is a bug or
bad data."""

_write = AbstractConnection._send_packed_command


async def _write_or_lost(self: AbstractConnection, command: Iterable[bytes]) -> None:
    """redis-py's write, for a connection whose transport may have been closed under it.

    After a connection error redis-py's cluster client disconnects the node's free connections
    (`ClusterNode.disconnect_free_connections`, redis-py 8.1). `disconnect` closes the transport,
    then awaits `wait_closed`, and only then forgets it; the connection stays in the free list
    meanwhile. Another task that takes it in between writes to a closed transport: the standard
    loop drops the write and `drain` raises ConnectionResetError, which redis-py turns into its
    ConnectionError (retried, then a 503); uvloop, which the services run on, raises
    RuntimeError("unable to perform operation on <TCPTransport closed=True ...>; the handler is
    closed"), which redis-py lets through: a finish answered 500 in CI while a cluster master
    was killed. Here it is a lost connection on either loop, found before anything is written
    (so nothing is sent twice by the retry). redis-py calls this write only with a
    `socket_timeout`, which every client made here has."""
    writer = getattr(self, "_writer", None)
    if writer is not None and writer.transport.is_closing():
        raise ConnectionResetError("the connection was closed while in use")
    await _write(self, command)


AbstractConnection._send_packed_command = _write_or_lost  # type: ignore[method-assign]


def redis_client(
    url: str, max_connections: int, socket_timeout: float = 5.0, wait_s: float = 10.0
) -> aioredis.Redis:
    """A client on a blocking pool of `max_connections`; callers wait up to `wait_s` for one.
    `socket_timeout` must exceed the longest blocking read (XREAD BLOCK) the service makes.
    A `redis+cluster://` URL gives a cluster client (`cluster_client`)."""
    if is_cluster_url(url):
        return cluster_client(url, max_connections, socket_timeout)
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


CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")


def is_cluster_url(url: str) -> bool:
    return url.partition("://")[0].lower() in CLUSTER_SCHEMES


def is_cluster(client: Any) -> bool:
    return isinstance(client, RedisCluster)


def cluster_client(url: str, max_connections: int, socket_timeout: float = 5.0) -> aioredis.Redis:
    """redis-py's RedisCluster on the nodes of a `redis+cluster://` URL (any one is enough: the
    rest is discovered), with the single-node client's timeouts. How it rides a master's failover
    (redis-py 8.1.0, redis/asyncio/cluster.py):

    - MOVED / ASK are followed at once and the slot map patched (every 5th MOVED reloads it);
    - a connection error or timeout marks the map stale: the command is sent again (`retry`'s
      count, 3; the cluster client uses only the count, not its backoff) after the map is
      reloaded from a live node; CLUSTERDOWN waits 250 ms before that. Until the replica is
      promoted (about the node timeout plus an election) the map still names the dead master,
      so a caller gets a 503 (UNAVAILABLE) and sends again, as with a single Redis that is away;
    - `max_connections` is per node and, unlike the single-node pool, a caller over it is not
      made to wait: it gets MaxConnectionsError (a ConnectionError: a 503).

    Typed as `Redis`: it answers the same commands the services send (keyed commands go to
    their slot's master; PING to one node; FUNCTION LOAD and SCRIPT LOAD to every master); it
    has no `connection_pool` (`is_cluster` tells them apart where that matters)."""
    scheme, _, rest = url.partition("://")
    rest = rest.split("?", 1)[0].rstrip("/")
    auth, _, hosts = rest.rpartition("@")
    user, _, password = auth.partition(":")
    nodes = []
    for hostport in hosts.split(","):
        host, _, port = hostport.strip().rpartition(":")
        nodes.append(ClusterNode(host or "127.0.0.1", int(port or 6379)))
    cluster = RedisCluster(
        startup_nodes=nodes,
        username=unquote(user) or None,
        password=unquote(password) or None,
        ssl=scheme.lower().startswith("rediss"),
        max_connections=max_connections,
        socket_timeout=socket_timeout,
        socket_connect_timeout=1.0,
        health_check_interval=5,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), 3),
    )
    return cast(aioredis.Redis, cluster)


async def slot_master(client: aioredis.Redis, key: str) -> ClusterNode:
    """A cluster's master serving `key`'s slot, as the client's slot map has it now (loaded
    first if a failure marked it stale)."""
    cluster = cast(RedisCluster, client)
    await cluster.initialize()
    node = cluster.get_node_from_key(key)
    if node is None:
        raise RedisConnectionError(f"no master serves the slot of {key!r}")
    return node


async def ping(client: aioredis.Redis, key: str | None = None) -> bool:
    """PING. On a cluster with `key`, the master serving its slot (where a site's calls go):
    a cluster client's plain PING reaches some node, which says nothing of that master."""
    if key is not None and is_cluster(client):
        node = await slot_master(client, key)
        return bool(await cast(RedisCluster, client).ping(target_nodes=node))
    return bool(await client.ping())


async def call_then_wait(
    client: aioredis.Redis, key: str, replicas: int, timeout_ms: int, *command: Any
) -> tuple[Any, int]:
    """Send `command` (one that writes `key`'s slot), then WAIT `replicas` `timeout_ms` on the
    same connection (WAIT counts the replicas that have that connection's writes; on another
    connection it would answer at once). Returns the command's answer and the count.

    On a cluster both go to the slot's master as one pipeline on one of its connections
    (a ClusterPipeline would not do: when it retries, WAIT loses its target and goes to any
    node). That path does not retry: a connection error or a redirection (the slot moved, a
    failover) marks the slot map stale, so the caller's next call finds the new master, and is
    raised (a 503 for HTTP; the kiosk sends again with the same Idempotency-Key)."""
    if not is_cluster(client):
        async with client.pipeline(transaction=False) as pipe:
            pipe.execute_command(*command)
            pipe.execute_command("WAIT", replicas, timeout_ms)
            answer, acked = await pipe.execute()
        return answer, int(acked)
    cluster = cast(RedisCluster, client)
    node = await slot_master(client, key)
    commands = [PipelineCommand(0, *command), PipelineCommand(1, "WAIT", replicas, timeout_ms)]
    try:
        await node.execute_pipeline(commands)
    except (RedisConnectionError, RedisTimeoutError):
        cluster._initialize = True  # as RedisCluster does on these errors: reload the map
        raise
    for cmd in commands:
        if isinstance(cmd.result, Exception):
            if isinstance(cmd.result, AskError | ClusterDownError | TryAgainError):  # MOVED too
                cluster._initialize = True
                raise RedisConnectionError(f"the slot's master changed: {cmd.result}")
            raise cmd.result
    return commands[0].result, int(cast(int, commands[1].result))
