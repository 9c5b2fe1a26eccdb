"""Run a service as a real process (python -m <package>) for e2e tests and benchmarks."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
LOGS = REPO / "var" / "log" / "tests"
TEST_REDIS = os.environ.get("ANTRE_TEST_REDIS", "redis://127.0.0.1:6379/0")
"""Unless a test says otherwise, a service process it starts uses this Redis (each test keeps to
its own site's keys, so one Redis serves them all). `make up` gives each service a Redis of its
own (deploy/local/infra.sh); the scale-out tests do too."""


class ServiceProcess:
    """One service process on 127.0.0.1; started with env overrides, ready when /readyz is 200."""

    def __init__(self, package: str, port: int, env: dict[str, str] | None = None) -> None:
        self.package = package
        self.port = port
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{port}"

    @property
    def log_path(self) -> Path:
        return LOGS / f"{self.package}-{self.port}.log"

    def launch(self) -> "ServiceProcess":
        """Start the process and return at once (it may not be ready: a dependency away)."""
        LOGS.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115
        env = {**os.environ, f"{self.package.upper()}_REDIS_URL": TEST_REDIS, **self.env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.package], env=env, stdout=log, stderr=log, cwd=REPO
        )
        return self

    def start(self, timeout: float = 30.0) -> "ServiceProcess":
        self.launch()
        try:
            self.wait_ready(timeout)
        except BaseException:  # never ready: do not leave it running (holding its port)
            self.kill()
            raise
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.package} exited with {self.proc.returncode}; see {LOGS}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.package} not ready on {self.url} after {timeout}s")

    def kill(self) -> None:
        """SIGKILL: the crash a test wants to survive."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> "ServiceProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port nobody listens on now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVICES = ("ticketing", "display", "notifier")


def hall_services(
    topic: str,
    dlq: str,
    site: str,
    ports: dict[str, int] | None = None,
    extra: dict[str, dict[str, str]] | None = None,
    answers: str | None = None,
) -> dict[str, ServiceProcess]:
    """The three services, not started yet, on one topic, dead-letter topic and site, with
    consumer groups of their own (`display-<site>`, `notifier-<site>`) and the notifier sending
    through Kannel. The kiosk and public limits are lifted: every test visitor shares one address.
    `extra`: more environment by service; `ports`: fixed ports (default: free ones); `answers`:
    also the survey, publishing its answers on that topic."""
    env = {
        "ticketing": {
            "TICKETING_TOPIC": topic, "TICKETING_SITE_ID": site,
            "TICKETING_ENFORCE_HOURS": "false", "TICKETING_KIOSK_RATE": "100000/minute",
            # Every test visitor shares 127.0.0.1, the public channel's limits are lifted too.
            "TICKETING_PUBLIC_RATE_PER_ADDRESS": "100000/minute",
            "TICKETING_PUBLIC_RATE_SITE": "100000/minute",
        },
        "display": {
            "DISPLAY_TOPIC": topic, "DISPLAY_DLQ_TOPIC": dlq, "DISPLAY_SITE_ID": site,
            "DISPLAY_GROUP_ID": f"display-{site}", "DISPLAY_GROUP_INSTANCE_ID": f"display-{site}-1",
        },
        "notifier": {
            "NOTIFIER_TOPIC": topic, "NOTIFIER_DEAD_LETTER_TOPIC": dlq,
            "NOTIFIER_GROUP_ID": f"notifier-{site}", "NOTIFIER_PROVIDER": "kannel",
            "NOTIFIER_GROUP_INSTANCE_ID": f"notifier-{site}-1",
        },
    }  # fmt: skip
    names: tuple[str, ...] = SERVICES
    if answers is not None:  # the survey too, publishing its answers there
        names = (*SERVICES, "survey")
        env["survey"] = {
            "SURVEY_TOPIC": topic, "SURVEY_DEAD_LETTER_TOPIC": dlq, "SURVEY_SITE_ID": site,
            "SURVEY_GROUP_ID": f"survey-{site}", "SURVEY_ANSWERS_TOPIC": answers,
        }  # fmt: skip
    ports = ports or {name: free_port() for name in names}
    return {
        name: ServiceProcess(
            name,
            ports[name],
            {**env[name], **(extra or {}).get(name, {}), f"{name.upper()}_PORT": str(ports[name])},
        )
        for name in names
    }
