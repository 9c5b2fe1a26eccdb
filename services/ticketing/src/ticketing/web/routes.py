"""The pages people touch: kiosk, ticket status, counter console, coordinator; assets, QR code."""

import io
import re
from typing import Annotated, Any

import orjson
import segno
from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import HTMLResponse

from ticketing.api.bookings import CODE_ALPHABET
from ticketing.api.deps import CounterDep, RuntimeDep
from ticketing.api.problems import Problem
from ticketing.texts import CALL_REASONS, PARK_REASONS
from ticketing.web import texts
from ticketing.web.assets import assets, template, url

router = APIRouter(tags=["pages"])
TicketId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")]
_PLACEHOLDER = re.compile(r"\{\{(\w+)(?::([\w.]+))?\}\}")


def _page(name: str, title: str, config: dict[str, Any]) -> HTMLResponse:
    """Fill a template: {{title}}, {{config}} (JSON, safe inside <script>), {{asset:file}}."""
    blob = orjson.dumps(config).decode().replace("<", "\\u003c")

    def fill(m: re.Match[str]) -> str:
        key, arg = m.group(1), m.group(2)
        if key == "asset" and arg:
            return url(arg)
        return {"title": title, "config": blob}[key]

    html = _PLACEHOLDER.sub(fill, template(name))
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


def _site(rt: RuntimeDep) -> dict[str, str]:
    site = rt.catalog.site
    return {"name": site.name, "tz": site.timezone, "tz_label": site.timezone_label}


@router.get("/kiosk", response_class=HTMLResponse)
async def kiosk(rt: RuntimeDep) -> HTMLResponse:
    """The touch kiosk: agency, service, priority, phone, then a printable ticket."""
    config = {
        "site": _site(rt),
        "texts": texts.for_page("kiosk"),
        "code_alphabet": CODE_ALPHABET,
        "max_visit_steps": rt.catalog.rules.max_visit_steps,
    }
    return _page("kiosk", texts.KIOSK["title"], config)


@router.get("/booking", response_class=HTMLResponse)
async def booking(rt: RuntimeDep) -> HTMLResponse:
    """Online booking from a phone: agency, service, day, slot; the code and its QR; move or
    cancel with the code."""
    config = {"site": _site(rt), "texts": texts.for_page("booking")}
    return _page("booking", texts.BOOKING["title"], config)


@router.get("/t/{ticket_id}", response_class=HTMLResponse)
async def ticket_status(ticket_id: TicketId, rt: RuntimeDep, request: Request) -> HTMLResponse:
    """A visitor's live view of one ticket (the QR code on the printed ticket points here)."""
    survey = request.app.state.settings.survey_url.replace("{ticket_id}", ticket_id) or None
    config = {"site": _site(rt), "ticket_id": ticket_id, "texts": texts.for_page("status"),
              "survey_url": survey}  # fmt: skip
    return _page("status", texts.STATUS["title"], config)


@router.get("/t/{ticket_id}/qr.svg")
async def ticket_qr(ticket_id: TicketId, request: Request) -> Response:
    """The QR code of the ticket's status page, as SVG (drawn here: no script library)."""
    public = request.app.state.settings.public_url
    target = (
        f"{public.rstrip('/')}/t/{ticket_id}"
        if public
        else str(request.url_for("ticket_status", ticket_id=ticket_id))
    )
    buf = io.BytesIO()
    segno.make(target, error="m").save(
        buf, kind="svg", border=2, omitsize=True, xmldecl=False, dark="#000"
    )
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(buf.getvalue(), media_type="image/svg+xml", headers=headers)


@router.get("/counter/{counter_id}", response_class=HTMLResponse)
async def console(counter: CounterDep, rt: RuntimeDep) -> HTMLResponse:
    """The officer's console of one counter (sign-in with the officer's token)."""
    config = {
        "site": _site(rt),
        "counter": counter.model_dump(),
        "texts": texts.for_page("console"),
        "call_reasons": CALL_REASONS,
        "park_reasons": PARK_REASONS,
    }
    return _page("console", f"{counter.name} — {texts.CONSOLE['title']}", config)


@router.get("/koordinator", response_class=HTMLResponse)
async def coordinator(rt: RuntimeDep) -> HTMLResponse:
    """The coordinator's page: every officer's figures of a day, and their CSV (sign-in with a
    coordinator's officer token)."""
    config = {"site": _site(rt), "texts": texts.for_page("coordinator")}
    return _page("coordinator", texts.COORDINATOR["title"], config)


@router.get("/web/{name}", include_in_schema=False)
async def asset(name: str, accept_encoding: Annotated[str, Header()] = "") -> Response:
    """A page asset; versioned URLs make it cacheable for a year."""
    found = assets().get(name)
    if found is None:
        raise Problem("not_found", path=f"/web/{name}")
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in accept_encoding:
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)
