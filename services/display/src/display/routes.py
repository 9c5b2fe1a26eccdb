"""HTTP routes: the board page, its JSON snapshot and live stream, health and metrics."""

from typing import Annotated

import orjson
from antre_contracts.problems import PROBLEM_JSON, unavailable
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from display import problems, texts
from display.board import board_view
from display.deps import Deps
from display.fanout import sse
from display.filters import BoardFilter
from display.page import render_page
from display.store import id_tuple, valid_id
from display.stream import BoardStream
from display.synth import RenderFailed
from display.voice import NotAnnounced, VoiceBusy, announcement_of

router = APIRouter()
ZoneQuery = Annotated[str | None, Query(description="Zone id(s), comma separated", examples=["a"])]
ServicesQuery = Annotated[
    str | None, Query(description="Service ids, comma separated", examples=["ktp-el,kk"])
]


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


@router.get("/board", response_class=HTMLResponse, tags=["board"])
async def board_page(
    request: Request, zone: ZoneQuery = None, services: ServicesQuery = None, mute: bool = False
) -> HTMLResponse:
    """The hall TV page (1920×1080): calls, counters, waiting counts, voice unless muted."""
    deps = _deps(request)
    view = BoardFilter.parse(deps.catalog, zone, services)
    return HTMLResponse(render_page(deps, zone, services, mute, view))


@router.get("/api/v1/board", tags=["board"])
async def board_snapshot(
    request: Request, zone: ZoneQuery = None, services: ServicesQuery = None
) -> Response:
    """The board now, with `last_event_id`: the stream id of the last update it includes."""
    deps = _deps(request)
    view = BoardFilter.parse(deps.catalog, zone, services)
    snapshot = await deps.store.snapshot()
    body = board_view(deps.catalog, deps.site, snapshot, view, deps.running_text)
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/api/v1/board/stream", tags=["board"])
async def board_stream(
    request: Request,
    zone: ZoneQuery = None,
    services: ServicesQuery = None,
    last_event_id: Annotated[str | None, Header(description="Resume after this id")] = None,
    resume: Annotated[str | None, Query(description="Same as Last-Event-ID")] = None,
) -> Response:
    """Server-Sent Events: a `snapshot`, then every `update` with its id; `heartbeat` keeps
    it alive. With Last-Event-ID the board gets exactly what it missed (or a fresh snapshot).
    503 problem when this process already serves DISPLAY_MAX_BOARDS boards."""
    deps = _deps(request)
    view = BoardFilter.parse(deps.catalog, zone, services)
    start = last_event_id or resume
    if not deps.hub.started:
        # The fan-out has not read the stream's end yet (Redis away since start-up): a board
        # that caught up now could miss what is added before the fan-out starts at the end.
        body, retry = unavailable(texts.UNAVAILABLE, request.url.path)
        return JSONResponse(body, 503, headers=retry, media_type=PROBLEM_JSON)
    board = deps.hub.subscribe(view)  # before reading, so nothing falls between read and push
    if board is None:
        return problems.boards_full(request.url.path)
    try:  # read before answering: with Redis away the board gets a 503 problem, not a cut stream
        first, sent = await _catch_up(deps, view, start)
    except BaseException:
        deps.hub.unsubscribe(board)
        raise
    timeout = deps.settings.send_timeout_s
    return BoardStream(deps.hub, board, b"".join(first), sent, timeout)


async def _catch_up(
    deps: Deps, view: BoardFilter, start: str | None
) -> tuple[list[bytes], tuple[int, int]]:
    """The frames a board gets first (a snapshot, or exactly what it missed since `start`) and
    the stream id they reach."""
    missed = await deps.store.updates_after(start) if start and valid_id(start) else None
    if missed is None:
        snapshot = await deps.store.snapshot()
        body = board_view(deps.catalog, deps.site, snapshot, view, deps.running_text)
        return [sse("snapshot", body, snapshot.last_id)], id_tuple(snapshot.last_id)
    frames, sent = [], id_tuple(start or "0-0")
    for entry_id, update in missed:
        part = view.update(update)
        if part is not None:
            frames.append(sse("update", part, entry_id))
        sent = id_tuple(entry_id)
    return frames, sent


VOICE_CACHE = "public, max-age=3600"
"""A call's audio changes only with the site's voice (clips, espeak-ng): an hour, then the ETag."""


@router.get(
    "/api/v1/board/voice/{number}/{counter}.wav",
    tags=["board"],
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}, "description": "The announcement, WAV"}},
)
async def board_voice(
    request: Request,
    number: str,
    counter: str,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The announcement of ticket `number` called to counter `counter`, spoken (WAV): the text
    of the call's `announce`, never any other. 400/404 problem for a number or counter the
    catalog does not have; 503 when it cannot be made now (the board then uses the browser's
    voice). `X-Antre-Voice` says by what: espeak or clips."""
    deps = _deps(request)
    try:
        audio = await deps.voice.audio(announcement_of(deps.catalog, number, counter))
    except NotAnnounced as exc:
        return problems.not_announced(exc, request.url.path)
    except VoiceBusy:
        return problems.voice_busy(request.url.path)
    except RenderFailed:
        return problems.voice_unavailable(request.url.path)
    headers = {"Cache-Control": VOICE_CACHE, "ETag": audio.etag, "X-Antre-Voice": audio.engine}
    seen = {tag.strip().removeprefix("W/") for tag in (if_none_match or "").split(",")}
    if audio.etag in seen or "*" in seen:
        return Response(status_code=304, headers=headers)
    return Response(audio.wav, media_type="audio/wav", headers=headers)


@router.get("/healthz", tags=["ops"])
async def healthz() -> dict[str, str]:
    """Alive: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", tags=["ops"])
async def readyz(request: Request) -> JSONResponse:
    """Ready when Kafka and Redis answer and every background task works; 503 names what is
    missing (`tasks`: the ones down, e.g. the fan-out while Redis is away)."""
    deps = _deps(request)
    checks = {"kafka": await deps.kafka_ok(), "redis": await deps.redis_ok()}
    down = deps.tasks.down()
    ok = all(checks.values()) and not down
    body: dict[str, object] = {name: "ok" if up else "down" for name, up in checks.items()}
    body["tasks_down"] = down
    if ok:
        return JSONResponse({"status": "ready", **body})
    # Not ready is an error like any other: problem JSON, with what is missing beside it.
    problem, retry = unavailable(texts.NOT_READY, request.url.path)
    return JSONResponse({**problem, **body}, 503, headers=retry, media_type=PROBLEM_JSON)


@router.get("/metrics", tags=["ops"])
async def metrics(request: Request) -> Response:
    """Prometheus text format."""
    registry = _deps(request).metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
