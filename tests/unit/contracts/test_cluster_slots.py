"""On a Redis Cluster a script or a MULTI may only touch one slot, and a site's calls should
find one master: every key a service builds for a site hashes to the site's slot (its keys
start with the hash tag `{site}`). The keys the ticketing functions build inside Redis from
KEYS[1] are checked on a real cluster (tests/integration/ticketing/test_redis_cluster.py:
every key of the site is in one slot)."""

import re
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from antre_contracts.redis_pool import cluster_client, is_cluster, is_cluster_url
from display.store import BoardStore
from limits.aio.storage import RedisStorage
from notifier.store import prefix as notifier_prefix
from redis.crc import key_slot
from ticketing.store import queues

SITE = "kutim"
LUA = Path(queues.__file__).with_name("queue.lua").read_text()


def assert_one_slot(site: str, keys: list[str]) -> None:
    slot = key_slot(site.encode())
    wrong = [k for k in keys if key_slot(k.encode()) != slot]
    assert not wrong, f"keys outside the slot of {site!r} ({slot}): {wrong}"


def ticketing_keys(site: str) -> list[str]:
    p = f"{{{site}}}:tk"
    keys = [p, f"{p}:outbox", f"{p}:outbox:relay-lease"]  # the relay's lease: outbox + suffix
    # Every key queue.lua builds is the prefix (KEYS[1], `c.p`) and a suffix.
    suffixes = re.findall(r"c\.p \.\. '([^']*)'", LUA)
    assert len(suffixes) > 5
    keys += [p + s + "x" for s in suffixes]
    blocks = f"{{{site}}}:lim:blocked"  # api/access.py: the MGET of blocks
    keys += [f"{blocks}:signin-addr:ab12", f"{blocks}:signin-counter:loket-1"]
    storage = RedisStorage("async+redis://", implementation="redispy", key_prefix=f"{{{site}}}:lim")
    window = storage._current_window_key("LIMITER/kiosk/kios-1/30/1/minute")
    keys += [storage.bridge.prefixed_key(window)]
    keys += [storage.bridge.prefixed_key(storage._previous_window_key("LIMITER/pub/a/3/1/minute"))]
    keys += [storage.bridge.prefixed_key("LIMITER/signin-addr/ab12/10/5/minute")]
    return keys


def display_keys(site: str) -> list[str]:
    store = BoardStore(aioredis.Redis(), site, 10, 100)  # a client that never connects
    return [store.seq_key, store.counters_key, store.waiting_key, store.recent_key,
            store.stream_key, store.offsets_key]  # fmt: skip


def notifier_keys(site: str) -> list[str]:
    p = notifier_prefix(site)
    return [p + "seq", p + "due", p + "notice:n1", p + "once:n1"]


@pytest.mark.parametrize("keys", [ticketing_keys, display_keys, notifier_keys])
def test_every_key_of_a_site_is_in_its_slot(keys) -> None:
    assert_one_slot(SITE, keys(SITE))
    assert_one_slot("another-site", keys("another-site"))


def test_queue_lua_touches_only_keys_of_its_prefix() -> None:
    """Every redis.call in queue.lua names a key made from KEYS[1] (c.p, or a key variable
    made from it), never a literal key of its own."""
    literal = re.findall(r"redis\.call\('(?!INFO)[A-Z]+', '([^']*)'", LUA)
    assert not literal, f"queue.lua uses literal keys: {literal}"


def test_a_key_without_the_site_hash_tag_is_caught() -> None:
    for key in ["kutim:tk:outbox", "tk:{x}:kutim", "{kutim2}:tk", "x:{kutimx}:{kutim}"]:
        with pytest.raises(AssertionError, match="outside the slot"):
            assert_one_slot(SITE, [f"{{{SITE}}}:tk", key])


def test_a_cluster_url_makes_a_cluster_client() -> None:
    url = "redis+cluster://user:p%40ss@10.0.0.1:7000,10.0.0.2:7001/"
    assert is_cluster_url(url) and not is_cluster_url("redis://127.0.0.1:6379/0")
    client = cluster_client(url, 8)
    assert is_cluster(client)
    nodes = client.startup_nodes  # type: ignore[attr-defined]
    assert [(n.host, n.port) for n in nodes] == [("10.0.0.1", 7000), ("10.0.0.2", 7001)]
    assert nodes[0].connection_kwargs["password"] == "p@ss"
    assert client.retry.get_retries() == 3  # type: ignore[attr-defined]
