"""`python -m display`: one uvicorn worker on 127.0.0.1:8002 (DISPLAY_PORT)."""

import logging
import sys

import uvicorn
from antre_contracts.logs import setup_logging

from display.app import create_app
from display.config import Settings
from display.sockets import listening_socket


def main() -> None:
    settings = Settings()
    setup_logging()
    config = uvicorn.Config(
        create_app(settings),
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
        log_level="info",
    )
    server = uvicorn.Server(config)
    logging.getLogger("display").info("serving on http://%s:%d", settings.host, settings.port)
    server.run([listening_socket(settings.host, settings.port, settings.tcp_user_timeout_s)])
    if not server.started:
        sys.exit(3)  # as uvicorn.run: the app failed to start


if __name__ == "__main__":
    main()
