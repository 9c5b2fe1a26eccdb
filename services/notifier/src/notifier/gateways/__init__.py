"""SMS gateways behind one interface, chosen by NOTIFIER_PROVIDER."""

import asyncio
from collections.abc import Awaitable
from typing import Protocol

from notifier.config import Settings
from notifier.phones import redact


class GatewayError(Exception):
    """The gateway did not accept the SMS. `retryable` = may succeed later (down, 5xx, timeout).
    The reason goes to logs, Redis and dead letters: a number a gateway echoes in its answer
    is masked here, for every gateway."""

    def __init__(self, reason: str, retryable: bool = True, written: bool = False) -> None:
        reason = redact(reason)
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.written = written  # the request was sent, no answer: the gateway may have it


class Gateway(Protocol):
    name: str

    def free(self) -> int:
        """How many more SMS can be submitted right now."""

    async def wait_free(self) -> None:
        """Until free() > 0."""

    def submit(self, to: str, text: str, site: str, notice_id: str) -> Awaitable[None]:
        """Start sending now (the request is written before this returns where the transport
        allows it); the awaitable completes when the gateway accepted, or raises GatewayError.
        site/notice_id let a gateway with delivery reports point them at the notice."""

    async def aclose(self) -> None: ...


class Slots:
    """Concurrency bookkeeping shared by the gateways."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.busy = 0
        self._freed = asyncio.Event()

    def free(self) -> int:
        return self.capacity - self.busy

    async def wait_free(self) -> None:
        while self.free() <= 0:
            self._freed.clear()
            await self._freed.wait()

    def take(self) -> None:
        self.busy += 1

    def give(self) -> None:
        self.busy -= 1
        self._freed.set()


def build_gateway(settings: Settings) -> Gateway:
    """The provider named by settings."""
    if settings.provider == "kannel":
        from notifier.gateways.kannel import KannelGateway

        return KannelGateway(settings)
    if settings.provider == "http":
        from notifier.gateways.http import HttpGateway

        return HttpGateway(settings)
    from notifier.gateways.log import LogGateway

    return LogGateway()
