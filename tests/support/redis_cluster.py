"""A Redis Cluster of a test's own: 3 masters and 3 replicas (Debian's redis-server in cluster
mode, the project's persistence: AOF, fsync always), made with `redis-cli --cluster create`.
A master can be SIGKILLed and its replica's promotion waited for."""

import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.crc import key_slot

BUS_OFFSET = 10000  # a cluster node's bus port is its port + 10000: both must be free


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_cluster_port(taken: set[int]) -> int:
    """A free port whose bus port (+10000) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port + BUS_OFFSET < 65536 and port not in taken and _free(port + BUS_OFFSET):
            return port


@dataclass
class Node:
    port: int
    home: Path
    proc: subprocess.Popen[bytes] | None = None

    def client(self, timeout: float = 0.5) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=timeout, socket_timeout=timeout)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class RedisCluster:
    """`masters` masters with `replicas` replicas each on free ports, data under `home`.
    `node_timeout_ms`: how long a master may be silent before its replica takes over."""

    home: Path
    masters: int = 3
    replicas: int = 1
    node_timeout_ms: int = 1000
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        taken: set[int] = set()
        for _ in range(self.masters * (1 + self.replicas)):
            port = free_cluster_port(taken)
            taken.add(port)
            self.nodes.append(Node(port, self.home / str(port)))

    @property
    def url(self) -> str:
        """The URL antre_contracts.redis_pool.redis_client takes for a cluster."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes) + "/"

    def start(self, timeout_s: float = 30.0) -> "RedisCluster":
        for node in self.nodes:
            self._launch(node)
        deadline = time.monotonic() + timeout_s
        for node in self.nodes:
            self._wait_ping(node, deadline)
        create = subprocess.run(
            ["redis-cli", "--cluster", "create",
             *(f"127.0.0.1:{n.port}" for n in self.nodes),
             "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            capture_output=True, timeout=timeout_s,
        )  # fmt: skip
        (self.home / "create.log").write_bytes(create.stdout + create.stderr)
        if create.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {create.stdout[-2000:]!r}")
        self.wait_healthy(timeout_s)
        return self

    def _launch(self, node: Node) -> None:
        node.home.mkdir(parents=True, exist_ok=True)
        log = open(node.home / "redis.log", "ab")  # noqa: SIM115
        node.proc = subprocess.Popen(
            ["redis-server", "--port", str(node.port), "--bind", "127.0.0.1",
             "--dir", str(node.home), "--cluster-enabled", "yes",
             "--cluster-config-file", "nodes.conf",
             "--cluster-node-timeout", str(self.node_timeout_ms),
             # A replica may always take over, however long it was cut off before.
             "--cluster-replica-validity-factor", "0",
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=log, stderr=log,
        )  # fmt: skip

    @staticmethod
    def _wait_ping(node: Node, deadline: float) -> None:
        client = node.client(0.2)
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def live(self) -> list[Node]:
        return [n for n in self.nodes if n.alive]

    def slot_owner(self, slot: int) -> int:
        """The port of the master serving `slot`, as a live node sees it."""
        for node in self.live():
            try:
                slots = node.client().execute_command("CLUSTER", "SLOTS")
            except redis.RedisError:
                continue
            for start, end, master, *_ in slots:
                if start <= slot <= end:
                    return int(master[1])
        raise RuntimeError(f"no live node knows slot {slot}")

    def owner_of(self, key: str) -> int:
        return self.slot_owner(key_slot(key.encode()))

    def node(self, port: int) -> Node:
        return next(n for n in self.nodes if n.port == port)

    def healthy(self) -> bool:
        """Every live node says cluster_state:ok and agrees on who serves every slot; with
        every node up, every master has its replicas online (synced, link up)."""
        owners: set[tuple[tuple[int, int, int], ...]] = set()
        for node in self.live():
            try:
                client = node.client()
                info = client.execute_command("CLUSTER", "INFO").decode()
                if "cluster_state:ok" not in info:
                    return False
                slots = client.execute_command("CLUSTER", "SLOTS")
            except redis.RedisError:
                return False
            owners.add(tuple(sorted((s, e, int(m[1])) for s, e, m, *_ in slots)))
            if sum(e - s + 1 for s, e, *_ in slots) != 16384:
                return False
        if len(owners) != 1:
            return False
        everyone = len(self.live()) == len(self.nodes)
        for _, _, port in next(iter(owners)):
            master = self.node(port)
            if not master.alive:
                return False
            replication = master.client().info("replication")
            online = [v for k, v in replication.items() if k.startswith("slave")]
            in_sync = sum(1 for r in online if isinstance(r, dict) and r.get("state") == "online")
            if everyone and in_sync < self.replicas:  # after a failover: no replica left
                return False
        return True

    def wait_healthy(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.healthy():
            if time.monotonic() > deadline:
                raise TimeoutError(f"cluster not healthy after {timeout_s}s; logs in {self.home}")
            time.sleep(0.05)

    def kill(self, port: int) -> None:
        node = self.node(port)
        if node.proc is not None and node.proc.poll() is None:
            node.proc.send_signal(signal.SIGKILL)
            node.proc.wait()

    def restart(self, port: int) -> None:
        """Start a killed node again on its data (AOF, nodes.conf): a master that was failed
        over comes back as a replica of the one promoted in its place."""
        node = self.node(port)
        self._launch(node)
        self._wait_ping(node, time.monotonic() + 30)

    def wait_promoted(self, slot: int, dead_port: int, timeout_s: float = 30.0) -> int:
        """Until a live replica serves `slot` in place of the dead master, in every live node's
        view, with cluster_state:ok everywhere; returns its port."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if self._all_ok_and_moved(slot, dead_port):
                    return self.slot_owner(slot)
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"slot {slot} not taken over after {timeout_s}s")
            time.sleep(0.02)

    def _all_ok_and_moved(self, slot: int, dead_port: int) -> bool:
        for node in self.live():
            client = node.client()
            if "cluster_state:ok" not in client.execute_command("CLUSTER", "INFO").decode():
                return False
            for start, end, master, *_ in client.execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end and int(master[1]) == dead_port:
                    return False
        return True

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.terminate()
        for node in self.nodes:
            if node.proc is not None:
                try:
                    node.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
                    node.proc.wait()

    def __enter__(self) -> "RedisCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
