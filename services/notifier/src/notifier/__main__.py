"""Run the notifier: `python -m notifier` on 127.0.0.1:$NOTIFIER_PORT (default 8003)."""

import sys

import uvicorn
from antre_contracts.logs import setup_logging
from pydantic import ValidationError

from notifier.app import create_app
from notifier.config import Settings


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        sys.exit(f"notifier refuses to start: {refusal(exc)}")
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


def refusal(exc: ValidationError) -> str:
    """What is wrong with the settings, by variable. Only pydantic's messages: its full text
    quotes the input, and the input is every NOTIFIER_* value, secrets included."""
    reasons = []
    for error in exc.errors():
        variable = "_".join(str(part) for part in error["loc"]).upper()
        reasons.append(f"NOTIFIER_{variable}: {error['msg']}" if variable else error["msg"])
    return "; ".join(reasons)


if __name__ == "__main__":
    main()
