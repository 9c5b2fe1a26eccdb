"""Run ticketing: python -m ticketing (settings from TICKETING_* variables)."""

import sys

import uvicorn
from antre_contracts.logs import setup_logging
from antre_contracts.startup import refusal
from pydantic import ValidationError

from ticketing.app import create_app
from ticketing.config import Settings


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        sys.exit(f"ticketing refuses to start: {refusal(exc, 'TICKETING')}")
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
