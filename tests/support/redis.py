"""A Redis of a test's own (the project's settings: AOF, fsync always), to kill and restart
without touching the shared one the other tests use."""

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.support.processes import free_port


class PrivateRedis:
    """redis-server on a free port with its data in `home`; `kill()` is SIGKILL."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        home.mkdir(parents=True, exist_ok=True)

    def start(self, timeout_s: float = 10.0) -> "PrivateRedis":
        log = open(self.home / "redis.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.home), "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=log, stderr=log,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if client.ping():
                    return self
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def copy_data(self, to: Path) -> None:
        """The AOF as it is now: a backup to restore later (stop first for a clean copy)."""
        shutil.copytree(self.home / "appendonlydir", to, dirs_exist_ok=False)

    def restore(self, backup: Path) -> None:
        """Put a backup's AOF in place (Redis stopped)."""
        shutil.rmtree(self.home / "appendonlydir")
        shutil.copytree(backup, self.home / "appendonlydir")
