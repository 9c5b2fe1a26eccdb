"""Run the notifier: `python -m notifier` on 127.0.0.1:$NOTIFIER_PORT (default 8003)."""

import sys

import uvicorn
from antre_contracts.logs import setup_logging
from antre_contracts.startup import refusal
from pydantic import ValidationError

from notifier.app import create_app
from notifier.config import Settings


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        sys.exit(f"notifier refuses to start: {refusal(exc, 'NOTIFIER')}")
    setup_logging()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
    )


if __name__ == "__main__":
    main()
