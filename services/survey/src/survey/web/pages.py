# ruff: noqa: E501  (HTML templates read better unwrapped)
"""The survey's pages: the counter's tablet, the visitor's phone, the printable IKM report."""

import html
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from survey import api, report
from survey.web import texts

router = APIRouter(tags=["pages"])
STATIC = Path(__file__).parent / "static"


def _form(mode: str, extra: dict[str, Any]) -> HTMLResponse:
    config = {"mode": mode, "texts": texts.PAGE, "questionnaire": texts.questionnaire(), **extra}
    blob = orjson.dumps(config).decode().replace("<", "\\u003c")
    page = (STATIC / "form.html").read_text()
    for key in ("title", "intro", "anonymous", "send", "waiting", "thanks", "thanks_more"):
        page = page.replace("{{" + key + "}}", html.escape(texts.PAGE[key]))
    page = page.replace("{{config}}", blob)
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


@router.get("/survey/{counter_id}", response_class=HTMLResponse)
async def tablet(counter_id: api.CounterId, request: Request) -> HTMLResponse:
    """The tablet at a counter: the survey of the ticket it just served, then thanks. Set it
    up once with /survey/<counter>#tablet-token=<its token>."""
    if counter_id not in request.app.state.catalog.counter_by_id:
        raise api.Problem(404, "unknown_counter", "Unknown counter", texts.UNKNOWN_COUNTER)
    return _form("tablet", {"counter_id": counter_id})


@router.get("/s/{ticket_id}", response_class=HTMLResponse)
async def phone(ticket_id: api.TicketId) -> HTMLResponse:
    """The visitor's phone: the survey of their ticket (the status page and the survey SMS
    link here)."""
    return _form("phone", {"ticket_id": ticket_id})


@router.get("/ikm", response_class=HTMLResponse)
async def ikm_page(
    request: Request,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The IKM for the head of the MPP: a table per agency, a chart per element; prints on A4."""
    rt = request.app.state
    agency = agency or None
    period = api._period(rt, from_, to)
    data = await report.build(rt.store, rt.catalog, period, agency, None)
    return HTMLResponse(_render(rt, data), headers={"Cache-Control": "no-cache"})


T = texts.REPORT
e = html.escape


def _dec(value: float, places: int) -> str:
    return f"{value:.{places}f}".replace(".", ",")


def _render(rt: Any, data: dict[str, Any]) -> str:
    p = data["period"]
    chosen = data["filter"]["agency"] or ""
    options = "".join(
        f'<option value="{e(a.id)}"{" selected" if a.id == chosen else ""}>{e(a.name)}</option>'
        for a in rt.catalog.agencies
    )
    query = f"from={p['from']}&amp;to={p['to']}" + (f"&amp;agency={e(chosen)}" if chosen else "")
    units = [(T["overall"], data["overall"], [])] + [
        (a["name"], a, a["services"]) for a in data["agencies"]
    ]
    body = "".join(_unit(name, unit, services, data["elements"]) for name, unit, services in units)
    now = datetime.now(rt.catalog.site.tz).strftime("%d-%m-%Y %H.%M")
    return f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(T["title"])} — {e(data["site"]["name"])}</title>
<style>{_CSS}</style></head>
<body><main>
<h1>{e(T["title"])}</h1>
<p class="site">{e(data["site"]["name"])}<br>{e(T["period"])}: <span id="period">{p["from"]} – {p["to"]}</span>
 · {e(T["basis"])}</p>
<form class="noprint" method="get" action="/ikm">
 <label>{e(T["from"])} <input type="date" name="from" value="{p["from"]}"></label>
 <label>{e(T["to"])} <input type="date" name="to" value="{p["to"]}"></label>
 <label>{e(T["agency"])} <select name="agency"><option value="">{e(T["all_agencies"])}</option>{options}</select></label>
 <button>{e(T["show"])}</button>
 <a href="/api/v1/ikm.csv?{query}" download>{e(T["csv"])}</a>
 <button type="button" onclick="window.print()">{e(T["print"])}</button>
</form>
{body}
<p class="foot">{e(T["generated"])}: {now} {e(rt.catalog.site.timezone_label)}</p>
</main></body></html>"""


def _unit(name: str, unit: dict[str, Any], services: list[dict[str, Any]],
          elements: list[dict[str, str]]) -> str:  # fmt: skip
    ikm = unit["ikm"]
    head = f'<section class="unit"><h2>{e(name)}</h2>'
    if ikm is None:
        return (
            head + f"<p>{e(T['no_data'])} {e(T['population'])}: {unit['population']}.</p></section>"
        )
    warn = ""
    if ikm["enough"] is False:
        warn = f'<p class="warn" role="note">{e(T["too_few"].format(have=ikm["respondents"], need=ikm["minimum_sample"]))}</p>'
    summary = (
        f'<p class="summary"><span class="ikm" data-ikm="{ikm["rounded"]:.2f}">{e(T["ikm"])} '
        f"<strong>{_dec(ikm['rounded'], 2)}</strong></span> · {e(T['mutu'])} "
        f'<strong class="letter">{e(ikm["letter"])}</strong> ({e(ikm["mutu"])}) · '
        f"{e(T['respondents'])} {ikm['respondents']} · {e(T['population'])} {unit['population']}"
        f" · {e(T['minimum'])} {ikm['minimum_sample']}</p>"
    )
    rows = "".join(
        f"<tr><td>{x['code']}</td><td>{e(x['name'])}</td><td>{_dec(x['nrr'], 3)}</td>"
        f"<td>{_dec(x['weighted'], 3)}</td></tr>"
        for x in ikm["elements"]
    )
    table = (
        f"<table><thead><tr><th>{e(T['element'])}</th><th></th><th>{e(T['nrr'])}</th>"
        f'<th>{e(T["weighted"])}</th></tr></thead><tbody>{rows}</tbody><tfoot><tr><td colspan="3">'
        f"Σ</td><td>{_dec(ikm['weighted_sum'], 3)}</td></tr></tfoot></table>"
    )
    svc_rows = "".join(
        f"<tr><td>{e(s['name'])}</td><td>{s['ikm']['respondents'] if s['ikm'] else 0}</td>"
        f"<td>{s['population']}</td><td>{_dec(s['ikm']['rounded'], 2) if s['ikm'] else '—'}</td>"
        f"<td>{e(s['ikm']['letter']) if s['ikm'] else '—'}</td></tr>"
        for s in services
    )
    svc_table = (
        f'<table class="services"><thead><tr><th>{e(T["unit"])}</th><th>{e(T["respondents"])}</th>'
        f"<th>{e(T['population'])}</th><th>{e(T['ikm'])}</th><th>{e(T['mutu'])}</th></tr></thead>"
        f"<tbody>{svc_rows}</tbody></table>"
        if services
        else ""
    )
    return (
        head
        + summary
        + warn
        + f'<div class="cols">{table}{_chart(ikm)}</div>'
        + svc_table
        + "</section>"
    )


def _chart(ikm: dict[str, Any]) -> str:
    """NRR per element as horizontal bars on the 1–4 scale (SVG: prints sharp, no script)."""
    bars = []
    for i, x in enumerate(ikm["elements"]):
        y = 8 + i * 22
        width = max(0.0, (x["nrr"] - 1) / 3) * 220
        bars.append(
            f'<text x="0" y="{y + 13}">{x["code"]}</text>'
            f'<rect x="30" y="{y}" width="{width:.1f}" height="16" fill="#0b5394"/>'
            f'<text x="{36 + width:.1f}" y="{y + 13}">{_dec(x["nrr"], 2)}</text>'
        )
    return (
        f'<figure><figcaption>{e(T["chart"])}</figcaption><svg role="img" viewBox="0 0 300 210"'
        f' width="300" height="210" aria-label="{e(T["chart"])}">'
        f'<line x1="30" y1="4" x2="30" y2="206" stroke="#333"/>{"".join(bars)}</svg></figure>'
    )


_CSS = """
body { font: 11pt/1.4 system-ui, "Noto Sans", "DejaVu Sans", sans-serif; color: #111; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 18pt; margin: 0 0 .25rem; } h2 { font-size: 14pt; margin: 0 0 .5rem; }
.site { margin: 0 0 1rem; }
form { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin-bottom: 1rem; }
.unit { border-top: 2px solid #333; padding: .75rem 0; break-inside: avoid; }
.cols { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #999; padding: .2rem .5rem; text-align: left; }
td:nth-child(n+3) { text-align: right; }
.services td:nth-child(n+2) { text-align: right; }
figure { margin: .5rem 0; } figcaption { font-size: 9pt; }
svg text { font-size: 10px; }
.warn { color: #8a1c1c; font-weight: 600; }
.foot { font-size: 9pt; color: #444; }
@page { size: A4; margin: 15mm; }
@media print { .noprint { display: none; } main { max-width: none; padding: 0; } }
"""
