"""The board page: one static HTML file with the board's settings written in as JSON."""

import html
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import orjson

from display.filters import BoardFilter
from display.hall import board_content
from display.texts import page_texts

if TYPE_CHECKING:
    from display.deps import Deps


@cache
def _template() -> str:
    return resources.files("display").joinpath("static/board.html").read_text()


def render_page(
    deps: "Deps", zone: str | None, services: str | None, mute: bool, view: BoardFilter
) -> str:
    """The page with its config: where to stream from, the site's zone and the texts."""
    query = "&".join(f"{k}={v}" for k, v in (("zone", zone), ("services", services)) if v)
    config = {
        "query": query,
        "mute": mute,
        "filter": view.key,
        "site": deps.catalog.site.name,
        "timezone": deps.catalog.site.timezone,
        "timezoneLabel": deps.catalog.site.timezone_label,
        "runningText": deps.running_text,
        "texts": page_texts(),
        "hall": board_content(deps.hall, deps.catalog, view),
    }
    # "</" is escaped so no text from the catalog can close the script element.
    blob = orjson.dumps(config).decode().replace("</", "<\\/")
    return (
        _template()
        .replace("{{title}}", html.escape(deps.catalog.site.name))
        .replace("{{config}}", blob)
    )
