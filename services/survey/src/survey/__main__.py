"""Run the survey: `python -m survey` on 127.0.0.1:$SURVEY_PORT (default 8004)."""

import sys

import uvicorn
from antre_contracts.logs import setup_logging
from antre_contracts.startup import refusal
from pydantic import ValidationError

from survey.app import create_app
from survey.config import Settings


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        sys.exit(f"survey refuses to start: {refusal(exc, 'SURVEY')}")
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
