"""The IKM report: aggregates in Redis summed over a period, computed per site, agency and
service (survey.domain.ikm), as JSON and as the Permen's recapitulation in CSV.

Aggregate fields (one hash per served day, see store.py): `agency/service/Uk/score` answers,
`agency/service/n` respondents, `agency/service/<gender|education|occupation>/<value>`
respondent data, `agency/service/suggestions` answers with a suggestion. The population (the
served tickets of the period) comes from the `pop` hashes: `agency/service`.
"""

import csv as csvlib
import io
from dataclasses import asdict
from datetime import date
from typing import Any

from antre_contracts import Catalog
from antre_contracts.survey import SurveySubmitted

from survey.domain.ikm import Ikm, compute
from survey.store import SurveyStore
from survey.texts import ELEMENTS


def fields(event: SurveySubmitted) -> list[str]:
    """The aggregate fields one answer adds 1 to."""
    base = f"{event.agency_id}/{event.service_id}"
    out = [f"{base}/n", *(f"{base}/{code}/{score}" for code, score in event.scores.items())]
    for key, value in event.respondent.model_dump().items():
        if value is not None:
            out.append(f"{base}/{key}/{value}")
    if event.suggestion:
        out.append(f"{base}/suggestions")
    return out


class _Group:
    """Counts of one site, agency or service."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[int, int]] = {}
        self.population = 0
        self.respondent: dict[str, dict[str, int]] = {}
        self.suggestions = 0

    def add(self, rest: list[str], n: int) -> None:
        if len(rest) == 2 and rest[0].startswith("U") and rest[1].isdigit():
            by_score = self.counts.setdefault(rest[0], {})
            by_score[int(rest[1])] = by_score.get(int(rest[1]), 0) + n
        elif len(rest) == 2:
            by_value = self.respondent.setdefault(rest[0], {})
            by_value[rest[1]] = by_value.get(rest[1], 0) + n
        elif rest == ["suggestions"]:
            self.suggestions += n

    def result(self) -> dict[str, Any]:
        ikm = compute(self.counts, self.population) if self.counts else None
        return {
            "population": self.population,
            "ikm": _ikm_json(ikm),
            "respondents_by": self.respondent,
            "suggestions": self.suggestions,
        }


async def build(store: SurveyStore, catalog: Catalog, period: tuple[date, date],
                agency: str | None, service: str | None) -> dict[str, Any]:  # fmt: skip
    first, last = period
    days = await store.days(first.isoformat(), last.isoformat())
    answers, population = await store.totals(days)
    site = _Group()
    agencies: dict[str, _Group] = {}
    services: dict[str, _Group] = {}
    for key, n in population.items():
        a, s = key.split("/", 1)
        if _wanted(a, s, agency, service):
            for g in (site, agencies.setdefault(a, _Group()), services.setdefault(key, _Group())):
                g.population += n
    for key, n in answers.items():
        a, s, *rest = key.split("/")
        if rest == ["n"] or not _wanted(a, s, agency, service):
            continue
        for g in (
            site,
            agencies.setdefault(a, _Group()),
            services.setdefault(f"{a}/{s}", _Group()),
        ):
            g.add(rest, n)
    out_agencies = []
    for a in sorted(agencies, key=lambda a: _agency_name(catalog, a)):
        rows = []
        for key in sorted(k for k in services if k.startswith(f"{a}/")):
            s = key.split("/", 1)[1]
            svc = catalog.service_by_id.get(s)
            rows.append({"service_id": s, "name": svc.name if svc else s, **services[key].result()})
        out_agencies.append(
            {
                "agency_id": a,
                "name": _agency_name(catalog, a),
                **agencies[a].result(),
                "services": rows,
            }
        )
    return {
        "site": {"id": catalog.site.id, "name": catalog.site.name},
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "filter": {"agency": agency, "service": service},
        "elements": [{"code": e.code, "name": e.name} for e in ELEMENTS],
        "overall": site.result(),
        "agencies": out_agencies,
    }


def _wanted(a: str, s: str, agency: str | None, service: str | None) -> bool:
    return (agency is None or a == agency) and (service is None or s == service)


def _agency_name(catalog: Catalog, agency_id: str) -> str:
    agency = catalog.agency_by_id.get(agency_id)
    return agency.name if agency else agency_id


def _ikm_json(ikm: Ikm | None) -> dict[str, Any] | None:
    if ikm is None:
        return None
    out = asdict(ikm)
    out["elements"] = [asdict(e) for e in ikm.elements]
    return out


def csv(data: dict[str, Any]) -> str:
    """The Permen's recapitulation per unit: per element the sum of scores, NRR and weighted
    NRR; then the weighted sum, the IKM, its quality, and respondents against the sample.
    `;`-separated with decimal commas, as an Indonesian spreadsheet opens it."""
    buf = io.StringIO()
    w = csvlib.writer(buf, delimiter=";", lineterminator="\r\n")
    period = data["period"]
    w.writerow(["Rekapitulasi Indeks Kepuasan Masyarakat (PermenPAN-RB 14/2017)"])
    w.writerow(["Unit", data["site"]["name"]])
    w.writerow(["Periode", period["from"], period["to"]])
    units = [("Seluruh MPP", data["overall"])]
    for a in data["agencies"]:
        units.append((a["name"], a))
        units += [(f"{a['name']} — {s['name']}", s) for s in a["services"]]
    for name, unit in units:
        w.writerow([])
        w.writerow(["Unit layanan", name])
        ikm = unit["ikm"]
        if ikm is None:
            w.writerow(["Belum ada responden", "", "Populasi", unit["population"]])
            continue
        w.writerow(["Unsur", "Nama unsur", "Jumlah nilai", "Responden", "NRR", "NRR tertimbang"])
        for e in ikm["elements"]:
            total = round(e["nrr"] * e["respondents"])
            w.writerow([e["code"], e["name"], total, e["respondents"], _dec(e["nrr"], 3),
                        _dec(e["weighted"], 3)])  # fmt: skip
        w.writerow(["Jumlah NRR tertimbang", "", "", "", "", _dec(ikm["weighted_sum"], 3)])
        w.writerow(["IKM (× 25)", "", "", "", "", _dec(ikm["rounded"], 2)])
        w.writerow(["Mutu pelayanan", f"{ikm['letter']} ({ikm['mutu']})"])
        w.writerow(["Responden", ikm["respondents"], "Populasi", unit["population"],
                    "Sampel minimum", ikm["minimum_sample"] if ikm["minimum_sample"] is not None
                    else ""])  # fmt: skip
    return buf.getvalue()


def _dec(value: float, places: int) -> str:
    return f"{value:.{places}f}".replace(".", ",")
