"""Development sink: logs the SMS with the number masked, sends nothing."""

import asyncio
import logging
from collections.abc import Awaitable

from antre_contracts.phone import mask

from notifier.gateways import Slots

log = logging.getLogger("notifier.sms")


class LogGateway:
    name = "log"

    def __init__(self) -> None:
        self._slots = Slots(64)

    def free(self) -> int:
        return self._slots.free()

    async def wait_free(self) -> None:
        await self._slots.wait_free()

    def submit(self, to: str, text: str, site: str, notice_id: str) -> Awaitable[None]:
        log.info("SMS to %s: %s", mask(to), text)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def aclose(self) -> None:
        return None
