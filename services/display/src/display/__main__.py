"""`python -m display`: one uvicorn worker on 127.0.0.1:8002 (DISPLAY_PORT)."""

import uvicorn
from antre_contracts.logs import setup_logging

from display.app import create_app
from display.config import Settings


def main() -> None:
    settings = Settings()
    setup_logging()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
        log_level="info",
    )


if __name__ == "__main__":
    main()
