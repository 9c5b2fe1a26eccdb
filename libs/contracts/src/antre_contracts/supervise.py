"""Background tasks that stay alive: restarted when they fail, and honest about being down.

Every service runs loops beside its HTTP routes (the relay, consumers, the boards' fan-out,
gauges). A loop that dies silently leaves a process that answers /readyz while doing nothing:
a display started while Redis was down once pushed nothing, forever. So each loop runs under a
`Supervisor`:

- it gets a `Health` handle: `ok()` after work that succeeded, `failing(exc)` when a
  dependency refused (a loop that retries by itself stays running but counts as down);
- a loop that raises or returns is restarted after a backoff (0.25 s doubling to 2 s: a
  dependency back is used within seconds), and is
  down until it reports `ok()` again;
- `down()` names the loops that are down: /readyz answers 503 while it is not empty;
- logs: one line when a loop goes down (with the error) and one when it is back, however many
  attempts fail in between; the attempts are counted in `antre_task_failures_total{task}`.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge

log = logging.getLogger("antre.tasks")


@dataclass
class Health:
    """A loop's own report: `ok()` after a success, `failing(exc)` after a failure."""

    name: str
    supervisor: "Supervisor"
    up: bool = False
    failures: int = 0
    down_since: float = field(default_factory=time.monotonic)
    last_ok: float = 0.0
    _reported: bool = False  # the current streak's "down" line was written

    def ok(self) -> None:
        self.last_ok = time.monotonic()
        if self.up:
            return
        self.up = True
        self.supervisor.up.labels(self.name).set(1)
        if self._reported:
            took = time.monotonic() - self.down_since
            log.info(
                "%s: working again (%d failed attempts in %.1f s)", self.name, self.failures, took
            )
        self.failures, self._reported = 0, False

    def failing(self, exc: BaseException) -> None:
        self.supervisor.failures.labels(self.name).inc()
        self.failures += 1
        if self.up or not self._reported:
            if self.up:
                self.down_since = time.monotonic()
            log.warning("%s: %s; retrying until it works", self.name, _describe(exc))
            self._reported = True
        self.up = False
        self.supervisor.up.labels(self.name).set(0)


Loop = Callable[[Health], Awaitable[None]]


class Supervisor:
    """Starts named loops, restarts them with backoff, and tells which are down."""

    def __init__(
        self,
        registry: CollectorRegistry = REGISTRY,
        backoff_s: float = 0.25,
        backoff_max_s: float = 2.0,
    ) -> None:
        self.backoff_s, self.backoff_max_s = backoff_s, backoff_max_s
        self.up = _metric(
            Gauge, registry, "antre_task_up", "1 while a background task runs and works"
        )
        self.failures = _metric(
            Counter,
            registry,
            "antre_task_failures_total",
            "Failed attempts of a background task (a dependency away, an error); logged once a"
            " streak",
        )
        self.restarts = _metric(
            Counter,
            registry,
            "antre_task_restarts_total",
            "Background tasks restarted after they raised or ended",
        )
        self.health: dict[str, Health] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    def spawn(self, name: str, loop: Loop) -> Health:
        """Run `loop(health)` until stop(); it is down until it says `health.ok()`."""
        health = Health(name, self)
        self.health[name] = health
        self.up.labels(name).set(0)
        self.failures.labels(name)
        self.restarts.labels(name)
        self._tasks[name] = asyncio.create_task(self._keep(health, loop), name=name)
        return health

    def part(self, name: str) -> Health:
        """The health of a part that is no loop of its own (e.g. a consumer's writes, which
        FastStream's loop drives): up until it reports a failure."""
        health = Health(name, self, up=True)
        self.health[name] = health
        self.up.labels(name).set(1)
        self.failures.labels(name)
        return health

    def down(self) -> list[str]:
        return sorted(name for name, h in self.health.items() if not h.up)

    async def _keep(self, health: Health, loop: Loop) -> None:
        delay = self.backoff_s
        while not self._stopping:
            started = time.monotonic()
            try:
                await loop(health)
                if self._stopping:
                    return
                health.failing(RuntimeError("the task ended by itself"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping:
                    return  # a client turned our cancel into an error: we are stopping anyway
                health.failing(exc)
            self.restarts.labels(health.name).inc()
            if health.last_ok >= started:
                delay = self.backoff_s  # it worked this time: a new failure, not a crash loop
            await asyncio.sleep(delay)
            delay = min(self.backoff_max_s, delay * 2)

    async def stop(self, timeout_s: float = 3.0) -> None:
        """Cancel every loop; bounded, since a client library may swallow a cancel."""
        self._stopping = True
        for task in self._tasks.values():
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks.values(), timeout=timeout_s)
        for task in self._tasks.values():
            if task.done() and not task.cancelled():
                with contextlib.suppress(BaseException):
                    task.result()


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _metric(kind: type, registry: CollectorRegistry, name: str, doc: str):  # type: ignore[no-untyped-def]
    """The metric of that name in the registry, made once: tests build several apps, and
    ticketing's metrics live in the process-wide registry."""
    existing = getattr(registry, "_names_to_collectors", {}).get(name)
    if existing is None and kind is Counter:
        existing = getattr(registry, "_names_to_collectors", {}).get(name.removesuffix("_total"))
    return existing if existing is not None else kind(name, doc, ["task"], registry=registry)
