"""Run ticketing: python -m ticketing (settings from TICKETING_* variables)."""

import uvicorn
from antre_contracts.logs import setup_logging

from ticketing.app import create_app
from ticketing.config import Settings


def main() -> None:
    settings = Settings()
    setup_logging()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        proxy_headers=settings.proxy_headers,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
