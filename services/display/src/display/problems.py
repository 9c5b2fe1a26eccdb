"""The display's own RFC 9457 answers (a Redis away or an internal error: antre_contracts.problems).

English titles for developers, the Indonesian detail from texts.py for whoever sets the board up.
"""

from typing import Any

from antre_contracts.problems import PROBLEM_JSON
from fastapi.responses import JSONResponse

from display import texts
from display.voice import NotAnnounced

BOARDS_FULL_RETRY_S = 10
"""Long enough that boards refused together do not come back as one wave."""


def problem(
    status: int, code: str, title: str, detail: str, instance: str, retry_after_s: int | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    headers = {}
    if retry_after_s is not None:
        body["retry_after"] = retry_after_s
        headers["Retry-After"] = str(retry_after_s)
    return JSONResponse(body, status, headers=headers, media_type=PROBLEM_JSON)


def boards_full(instance: str) -> JSONResponse:
    """503: this process already streams to its maximum of boards (DISPLAY_MAX_BOARDS)."""
    return problem(
        503, "too_many_boards", "Too many boards", texts.BOARDS_FULL, instance, BOARDS_FULL_RETRY_S
    )


def unknown_filter(what: str, instance: str) -> JSONResponse:
    """400: a zone or service that is not in the catalog."""
    detail = texts.UNKNOWN_FILTER.format(what=what)
    return problem(400, "unknown_filter", "Unknown board filter", detail, instance)


def not_announced(exc: NotAnnounced, instance: str) -> JSONResponse:
    """400 or 404: voice asked for a ticket or counter number the catalog does not have."""
    return problem(exc.status, exc.code, exc.title, str(exc), instance)


def voice_busy(instance: str) -> JSONResponse:
    """503: too many announcements wait for a render (DISPLAY_VOICE_QUEUE)."""
    return problem(503, "voice_busy", "Voice busy", texts.VOICE_BUSY, instance, 2)


def voice_unavailable(instance: str) -> JSONResponse:
    """503: espeak-ng or sox failed (not installed, too slow, an error); see the display's log."""
    return problem(
        503, "voice_unavailable", "Voice unavailable", texts.VOICE_UNAVAILABLE, instance, 10
    )


def no_media(instance: str) -> JSONResponse:
    """404: a media file the hall file does not list, or that is gone from its folder."""
    return problem(404, "no_media", "No such hall media", texts.NO_MEDIA, instance)
