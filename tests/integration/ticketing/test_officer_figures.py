"""Figures per officer and day on the real Redis and Kafka: after a mixed morning of two
officers (calls, chosen calls, parking, call-backs, no-shows, transfers), the coordinator's
figures (JSON and CSV) and an officer's own equal what the day's events on the topic say, and
the per-officer Prometheus counts moved by as much.

Counters: loket-1 [ktp, kk] (petugas-1, token test-loket-1, and the coordinator),
loket-2 [ktp, akta] (the coordinator).
"""

import csv
import io
from datetime import timedelta

from prometheus_client import REGISTRY

from tests.support.figures import from_events
from tests.support.kafka import read_topic

OFFICER = "test-loket-1"


async def issue(tk, service="ktp"):
    r = await tk.http.post("/api/v1/tickets", json={"service_id": service})
    assert r.status_code == 201, r.text
    return r.json()


async def act(tk, counter, action, token=None, **body):
    headers = tk.auth(token) if token else tk.auth()
    r = await tk.http.post(
        f"/api/v1/counters/{counter}/{action}", json=body or None, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()


def officer_count(officer, what):
    return (
        REGISTRY.get_sample_value("antre_officer_tickets_total", {"officer": officer, "what": what})
        or 0.0
    )


async def test_the_coordinators_figures_equal_the_days_events(make_ticketing):
    whats = ("served", "no_show", "transferred", "parked", "called", "called_back", "out_of_order")
    before = {w: officer_count("petugas-1", w) for w in whats}
    async with make_ticketing() as tk:
        clock = tk.clock

        def later(seconds):
            clock.at += timedelta(seconds=seconds)

        tickets = [await issue(tk) for _ in range(7)]
        await act(tk, "loket-1", "open", OFFICER)
        await act(tk, "loket-2", "open")
        later(240)
        # petugas-1: served, served, no-show, parked, a chosen out-of-order call, a transfer.
        for service_s in (300, 420):
            await act(tk, "loket-1", "call-next", OFFICER)
            await act(tk, "loket-1", "start", OFFICER)
            later(service_s)
            await act(tk, "loket-1", "finish", OFFICER)
        await act(tk, "loket-1", "call-next", OFFICER)
        later(60)
        await act(tk, "loket-1", "finish", OFFICER, outcome="no_show")
        await act(tk, "loket-1", "call-next", OFFICER)
        await act(tk, "loket-1", "park", OFFICER, reason="fotokopi")
        await act(tk, "loket-1", "call-number", OFFICER, number=tickets[6]["number"],
                  reason="mendesak")  # fmt: skip
        later(90)
        await act(tk, "loket-1", "transfer", OFFICER, service_id="kk")
        # The coordinator at loket-2: calls A-004 back, serves it, serves A-005, takes A-003
        # back (returned no-show) and serves it.
        await act(
            tk, "loket-2", "call-number", number=tickets[3]["number"], reason="kembali_parkir"
        )
        later(200)
        await act(tk, "loket-2", "finish")
        for service_s in (100, 700):
            await act(tk, "loket-2", "call-next")
            later(service_s)
            await act(tk, "loket-2", "finish")
        await act(tk, "loket-2", "call-number", number=tickets[2]["number"], reason="terlambat")
        later(50)
        await act(tk, "loket-2", "finish")
        day = tk.clock.at.date().isoformat()  # 10.00 WITA: the same day in UTC

        coordinator = (await tk.http.get("/api/v1/figures/officers", headers=tk.auth())).json()
        got_csv = await tk.http.get(f"/api/v1/figures/officers.csv?day={day}", headers=tk.auth())
        own = await tk.http.get("/api/v1/counters/loket-1/figures", headers=tk.auth(OFFICER))
        refused = await tk.http.get("/api/v1/figures/officers", headers=tk.auth(OFFICER))
        await tk.outbox_drained()
        events = await read_topic("127.0.0.1:9092", tk.topic)

    expected = from_events(events, day)
    assert set(expected) == {"petugas-1", "koordinator"}
    rows = {r["officer_id"]: r for r in coordinator["officers"]}
    assert coordinator["day"] == day
    for officer, want in expected.items():
        got = {k: v for k, v in rows[officer].items() if k != "officer_name"}
        assert got == want, officer
    p1 = expected["petugas-1"]
    assert (p1["served"], p1["no_show"], p1["parked"], p1["transferred"]) == (2, 1, 1, 1)
    assert (p1["out_of_order"], p1["mean_service_s"], p1["p90_service_s"]) == (1, 360.0, 420)
    assert expected["koordinator"]["called_back"] == 2

    assert got_csv.status_code == 200 and got_csv.headers["content-type"].startswith("text/csv")
    assert f"kinerja-petugas-{day}.csv" in got_csv.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(got_csv.text)))
    assert [r["officer_id"] for r in table] == ["koordinator", "petugas-1"]
    assert table[1]["officer_name"] == "Petugas 1"
    assert int(table[1]["served"]) == 2 and float(table[1]["mean_service_s"]) == 360.0

    assert own.status_code == 200
    assert {k: v for k, v in own.json().items() if k != "officer_name"} == p1
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/not_coordinator"

    moved = {w: officer_count("petugas-1", w) - before[w] for w in whats}
    assert moved == {
        "served": 2, "no_show": 1, "transferred": 1, "parked": 1, "called": 5,
        "called_back": 0, "out_of_order": 1,
    }  # fmt: skip
