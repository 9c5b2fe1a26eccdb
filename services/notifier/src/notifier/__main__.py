"""Run the notifier: `python -m notifier` on 127.0.0.1:$NOTIFIER_PORT (default 8003)."""

import uvicorn
from antre_contracts.logs import setup_logging

from notifier.app import create_app
from notifier.config import Settings


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
    )


if __name__ == "__main__":
    main()
