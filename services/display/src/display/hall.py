"""Hall content: messages in rotation, a silent media loop, each service's persyaratan.

The site edits one TOML file (DISPLAY_HALL_PATH) and fills a media folder beside it. Both are
read and checked against the catalog once, at start: a zone or service the catalog does not
have, a media file outside the folder, missing, or of a kind the display does not serve makes
the display refuse to start, naming the entry. Only the files the hall file lists are served.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from antre_contracts import Catalog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from display.filters import BoardFilter

MEDIA_TYPES = {
    ".webm": "video/webm",
    ".mp4": "video/mp4",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
"""The kinds the board plays. No SVG: opened by itself it runs scripts in the board's origin."""

Message = Field(min_length=1, max_length=200)  # one card on the TV: about six lines at most
Document = Field(min_length=1, max_length=90)  # one line under the waiting counts


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Content(_Model):
    """What one part of the hall shows: the whole site (`[hall]`) or a zone (`[zones.<id>]`)."""

    messages: list[str] = Field(default=[], description="Shown one after another")
    media: list[str] = Field(default=[], description="Files in media_dir, played in this order")


class ServiceNotes(_Model):
    requirements: list[str] = Field(min_length=1, max_length=8, description="Documents to bring")


class HallFile(_Model):
    media_dir: str = Field(default="media", description="The media folder, relative to the file")
    message_seconds: float = Field(default=10, ge=3, le=120, description="Each message's time")
    slide_seconds: float = Field(default=10, ge=2, le=300, description="Each image's time")
    focus_seconds: float = Field(
        default=6, ge=0, le=60, description="A call holds the screen this long after its voice"
    )
    hall: Content = Content()
    zones: dict[str, Content] = {}
    services: dict[str, ServiceNotes] = {}


class HallContentError(ValueError):
    """The hall file cannot be used; the message names the file and every bad entry."""


@dataclass(frozen=True)
class Hall:
    """The checked hall file and the media files it may serve (name → path)."""

    file: HallFile = field(default_factory=HallFile)
    media: dict[str, Path] = field(default_factory=dict)
    folder: Path | None = None


def load_hall(path: Path | None, catalog: Catalog) -> Hall:
    """Read and check the hall file; None: no hall content (the board as before)."""
    if path is None:
        return Hall()
    try:
        with open(path, "rb") as f:
            hall = HallFile.model_validate(tomllib.load(f))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise HallContentError(f"hall content {path}: {exc}") from None
    except ValidationError as exc:
        reasons = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise HallContentError(f"hall content {path}: {'; '.join(reasons)}") from None
    folder = (path.parent / hall.media_dir).resolve()
    problems, media = _check(hall, catalog, folder)
    if problems:
        raise HallContentError(f"hall content {path}: {'; '.join(problems)}")
    return Hall(hall, media, folder)


def _check(hall: HallFile, catalog: Catalog, folder: Path) -> tuple[list[str], dict[str, Path]]:
    problems = [f"zones.{z}: no zone {z!r} in the catalog" for z in _unknown(hall.zones, catalog)]
    services = catalog.service_by_id.keys()
    problems += [
        f"services.{s}: no service {s!r} in the catalog" for s in hall.services.keys() - services
    ]
    media: dict[str, Path] = {}
    parts = [("hall", hall.hall)] + [(f"zones.{z}", c) for z, c in hall.zones.items()]
    for where, content in parts:
        for name in content.media:
            path, problem = media_file(folder, name)
            if problem:
                problems.append(f"{where}.media {name!r}: {problem}")
            elif path is not None:
                media[name] = path
    return sorted(problems), media


def _unknown(zones: dict[str, Content], catalog: Catalog) -> list[str]:
    return sorted(zones.keys() - {z.id for z in catalog.zones})


def media_file(folder: Path, name: str) -> tuple[Path | None, str | None]:
    """The file `name` names inside `folder`, or why it may not be served: only a relative
    path that stays inside the folder (after symbolic links), to an existing file of a known
    kind. Checked at start and again on each request (the site may swap files meanwhile)."""
    pure = PurePosixPath(name)
    if "\\" in name or pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return None, f"not a plain path inside the media folder {folder}"
    if pure.suffix.lower() not in MEDIA_TYPES:
        return None, f"not one of the kinds the board plays ({', '.join(MEDIA_TYPES)})"
    path = (folder / pure).resolve()
    if not path.is_relative_to(folder):
        return None, f"leads outside the media folder {folder}"
    if not path.is_file():
        return None, f"no such file in the media folder {folder}"
    return path, None


def media_url(name: str) -> str:
    return "/hall/media/" + quote(name)


def media_kind(name: str) -> str:
    """ "video" or "image", by the file's extension."""
    return MEDIA_TYPES[PurePosixPath(name).suffix.lower()].split("/")[0]


def board_content(hall: Hall, catalog: Catalog, view: BoardFilter) -> dict[str, Any]:
    """What one board shows beside the calls. A zone board: its zones' messages, then the
    whole hall's; its zones' media, or the hall's when they have none. Any other board: the
    whole hall's. Every board: the persyaratan of the services it shows, in catalog order."""
    shown = view.zones or frozenset()
    zones = [hall.file.zones[z.id] for z in catalog.zones if z.id in shown & hall.file.zones.keys()]
    messages = [m for z in zones for m in z.messages] + hall.file.hall.messages
    media = [m for z in zones for m in z.media] or hall.file.hall.media
    requirements = [
        {"id": s.id, "prefix": s.prefix, "name": s.name, "documents": notes.requirements}
        for s in catalog.services
        if view.shows_service(s.id) and (notes := hall.file.services.get(s.id))
    ]
    return {
        "messages": messages,
        "media": [{"url": media_url(m), "kind": media_kind(m)} for m in media],
        "requirements": requirements,
        "messageSeconds": hall.file.message_seconds,
        "slideSeconds": hall.file.slide_seconds,
        "focusSeconds": hall.file.focus_seconds,
    }
