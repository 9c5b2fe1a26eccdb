"""HTTP routes of the hall content: a board's content as JSON and the media files it plays."""

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from display import problems
from display.deps import Deps
from display.filters import BoardFilter
from display.hall import MEDIA_TYPES, board_content, media_file
from display.routes import ServicesQuery, ZoneQuery

router = APIRouter()

MEDIA_CACHE = "public, max-age=300"
"""A file the site replaces reaches the boards within five minutes (then the ETag decides)."""


@router.get("/api/v1/board/hall", tags=["board"])
async def hall_content(
    request: Request, zone: ZoneQuery = None, services: ServicesQuery = None
) -> JSONResponse:
    """What a board shows beside the calls: messages, the media loop, persyaratan per service
    (the same filters as the board)."""
    deps: Deps = request.app.state.deps
    view = BoardFilter.parse(deps.catalog, zone, services)
    return JSONResponse(board_content(deps.hall, deps.catalog, view))


@router.get(
    "/hall/media/{name:path}",
    tags=["board"],
    response_class=Response,
    responses={200: {"content": {t: {} for t in sorted(set(MEDIA_TYPES.values()))}}},
)
async def hall_media(request: Request, name: str) -> Response:
    """A file of the hall's media loop: only one the hall file lists, from its media folder,
    with its type by extension; Range requests answered (206) so videos seek and loop."""
    deps: Deps = request.app.state.deps
    path = None
    if name in deps.hall.media and deps.hall.folder is not None:
        path, _ = media_file(deps.hall.folder, name)  # again: the site may have swapped it
    if path is None:
        return problems.no_media(request.url.path)
    headers = {"Cache-Control": MEDIA_CACHE, "X-Content-Type-Options": "nosniff"}
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix.lower()], headers=headers)
