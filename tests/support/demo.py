"""The demo catalog's credentials, added to test requests that do not bring their own.

Tickets come from the demo kiosk (`demo-kiosk-01`), and a counter's state is read as the
coordinator, as the hall's kiosks and consoles do; a test about credentials sets its own
header (an `Authorization` already there is left alone).
"""

import re
from typing import Any

import httpx

KIOSK = {"Authorization": "Bearer demo-kiosk-01"}
COORDINATOR = {"Authorization": "Bearer demo-koordinator"}
_COUNTER_READ = re.compile(r"^/api/v1/counters/[^/]+(/queues)?$")


async def _credentials(request: httpx.Request) -> None:
    if "authorization" in request.headers:
        return
    if request.method == "POST" and request.url.path == "/api/v1/tickets":
        request.headers.update(KIOSK)
    elif request.method == "GET" and _COUNTER_READ.match(request.url.path):
        request.headers.update(COORDINATOR)


DEMO_CREDENTIALS: dict[str, list[Any]] = {"request": [_credentials]}
"""`httpx.AsyncClient(..., event_hooks=DEMO_CREDENTIALS)`."""
