"""`python -m display`: one uvicorn worker on 127.0.0.1:8002 (DISPLAY_PORT)."""

import logging
import socket
import sys

import uvicorn
from antre_contracts.logs import setup_logging
from antre_contracts.startup import refusal
from fastapi import FastAPI
from pydantic import ValidationError

from display.app import create_app
from display.config import Settings
from display.hall import HallContentError
from display.sockets import listening_socket


class _Server(uvicorn.Server):
    """uvicorn, ending the board streams as it begins to stop (Hub.close)."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.display_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        deps = getattr(self.display_app.state, "deps", None)
        if deps is not None:
            deps.hub.close()
        await super().shutdown(sockets)


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        sys.exit(f"display refuses to start: {refusal(exc, 'DISPLAY')}")
    setup_logging()
    try:
        app = create_app(settings)
    except HallContentError as exc:
        sys.exit(f"display refuses to start: {exc}")
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
        log_level="info",
        # A board stream never ends by itself: without a bound, SIGTERM waited for every board
        # to leave, and `docker stop` ended in a SIGKILL. _Server ends them at once; the bound
        # stays for anything else in flight.
        timeout_graceful_shutdown=3,
    )
    server = _Server(config, app)
    logging.getLogger("display").info("serving on http://%s:%d", settings.host, settings.port)
    server.run([listening_socket(settings.host, settings.port, settings.tcp_user_timeout_s)])
    if not server.started:
        sys.exit(3)  # as uvicorn.run: the app failed to start


if __name__ == "__main__":
    main()
