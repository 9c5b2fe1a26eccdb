"""Figures per officer and day for coordinators: JSON for the coordinator page, and CSV."""

import csv
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from ticketing.api.deps import runtime
from ticketing.domain.figures import COLUMNS, summarise

router = APIRouter(prefix="/api/v1/figures", tags=["figures"])
SIGNED_IN: dict[str, Any] = {"security": [{"officerToken": []}]}
Day = Annotated[date | None, Query(description="The site's local day (default: today)")]


async def _rows(request: Request, day: date | None) -> tuple[date, list[dict[str, Any]]]:
    rt = runtime(request)
    await rt.access.coordinator(request)
    day = day or date.fromisoformat(rt.store.call().day)
    names = {o.id: o.name for o in rt.catalog.officers}
    raw = await rt.store.figures(day)
    rows = [summarise(f, names.get(f["officer_id"], f["officer_id"]), day) for f in raw]
    return day, sorted(rows, key=lambda r: r["officer_id"])


@router.get("/officers", openapi_extra=SIGNED_IN)
async def officer_figures(request: Request, day: Day = None) -> dict[str, Any]:
    """Per officer of a day (those with any figure): served, no-show, transferred, parked,
    mean and p90 service time, mean wait of the tickets they called, out-of-order calls.
    Coordinators only (an officer token whose catalog role is `coordinator`)."""
    day, rows = await _rows(request, day)
    return {"day": day.isoformat(), "officers": rows}


@router.get(
    "/officers.csv",
    openapi_extra=SIGNED_IN,
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per officer"}},
)
async def officer_figures_csv(request: Request, day: Day = None) -> Response:
    """The same figures as CSV (one row per officer; times in seconds)."""
    day, rows = await _rows(request, day)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="kinerja-petugas-{day}.csv"'},
    )
