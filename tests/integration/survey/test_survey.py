"""The survey on the real Kafka and Redis: who may answer, once; the counter's tablet; the
answers' events; the IKM read back from what was answered."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from survey.domain.ikm import compute

from tests.integration.survey.conftest import ALL_FOUR, TABLET_1

pytestmark = pytest.mark.integration


def ticket() -> str:
    return f"20261203-A001-{uuid.uuid4().hex[:24]}"


async def test_a_served_ticket_answers_once_and_a_repeat_changes_nothing(make_survey):
    async with make_survey() as sv:
        t = ticket()
        await sv.served(t, number="A-017")
        state = await sv.open_for(t)
        assert state["state"] == "open" and state["number"] == "A-017"
        assert state["service"] == "Perekaman & Pencetakan KTP-el"
        body = {"scores": {**ALL_FOUR, "U3": 2}, "respondent": {"gender": "female"},
                "suggestion": "  Antrean cepat, terima kasih  "}  # fmt: skip
        first = await sv.http.post(f"/api/v1/tickets/{t}/answers", json=body)
        assert first.status_code == 201, first.text
        # A second answer, different: answered as the first time, nothing changes.
        again = await sv.http.post(f"/api/v1/tickets/{t}/answers", json={"scores": ALL_FOUR})
        assert again.status_code == 200, again.text
        assert again.json()["answer_id"] == first.json()["answer_id"] and again.json()["repeat"]
        assert (await sv.http.get(f"/api/v1/tickets/{t}/survey")).json()["state"] == "answered"

        [event] = await sv.published(1)
        assert (
            event["type"] == "antre.survey.submitted" and event["id"] == first.json()["answer_id"]
        )
        data = event["data"]
        assert data["ticket_id"] == t and data["channel"] == "phone"
        assert data["scores"]["U3"] == 2 and data["suggestion"] == "Antrean cepat, terima kasih"
        assert set(data) == {
            "answer_id",
            "ticket_id",
            "site_id",
            "agency_id",
            "service_id",
            "served_on",
            "channel",
            "submitted_at",
            "scores",
            "respondent",
            "suggestion",
        }  # fmt: skip  (no phone, no name, no officer)

        ikm = (await sv.http.get("/api/v1/ikm")).json()
        overall = ikm["overall"]["ikm"]
        assert overall["respondents"] == 1 and ikm["overall"]["population"] == 1
        # U3 = 2, the eight others 4: sum of NRR×1/9 = 34/9 = 3.7778; IKM = 94.44 (A).
        assert overall["rounded"] == 94.44 and overall["letter"] == "A"
        assert ikm["overall"]["respondents_by"] == {"gender": {"female": 1}}


async def test_only_a_served_ticket_may_answer_and_only_in_its_window(make_survey):
    async with make_survey(answer_window_s=60) as sv:
        no_show, late, never = ticket(), ticket(), ticket()
        await sv.served(no_show, outcome="no_show")
        await sv.served(late, at=datetime.now(UTC) - timedelta(minutes=2))
        await sv.open_for(late)
        r = await sv.http.post(f"/api/v1/tickets/{late}/answers", json={"scores": ALL_FOUR})
        assert r.status_code == 410 and r.json()["type"] == "/problems/survey_closed", r.text
        assert r.headers["content-type"] == "application/problem+json"
        for t in (no_show, never):
            r = await sv.http.post(f"/api/v1/tickets/{t}/answers", json={"scores": ALL_FOUR})
            assert r.status_code == 404 and r.json()["type"] == "/problems/not_served", r.text
        # Bad input is a clear problem, and takes nothing.
        fresh = ticket()
        await sv.served(fresh)
        await sv.open_for(fresh)
        for bad in ({"scores": {"U1": 4}}, {"scores": {**ALL_FOUR, "U9": 5}},
                    {"scores": ALL_FOUR, "respondent": {"education": "phd"}},
                    {"scores": ALL_FOUR, "phone": "0812"}):  # fmt: skip
            r = await sv.http.post(f"/api/v1/tickets/{fresh}/answers", json=bad)
            assert r.status_code == 422 and r.json()["type"] == "/problems/validation_error"
        assert (await sv.http.get(f"/api/v1/tickets/{fresh}/survey")).json()["state"] == "open"
        assert (await sv.http.get("/api/v1/ikm")).json()["overall"]["ikm"] is None


async def test_the_counter_tablet_offers_the_ticket_it_just_served(make_survey):
    async with make_survey() as sv:
        first, second = ticket(), ticket()
        tablet = "/api/v1/counters/loket-1/survey"
        assert (await sv.http.get(tablet, headers=TABLET_1)).json()["state"] == "waiting"
        r = await sv.http.get(tablet, headers={"Authorization": "Bearer demo-tablet-02"})
        assert r.status_code == 401  # tablet-2 belongs to loket-2
        await sv.served(first, number="A-001")

        async def shows(number: str):
            r = await sv.http.get(tablet, headers=TABLET_1)
            return r.json() if r.json().get("number") == number else None

        shown = await sv.until(lambda: shows("A-001"), "the tablet shows A-001")
        assert first not in str(shown)  # the tablet never sees the ticket's id (its status link)
        stale = shown["token"]
        await sv.served(second, number="A-002")
        shown = await sv.until(lambda: shows("A-002"), "the next served ticket replaces it")
        answers = "/api/v1/counters/loket-1/answers"
        r = await sv.http.post(answers, headers=TABLET_1, json={"scores": ALL_FOUR, "token": stale})
        assert r.status_code == 409 and r.json()["type"] == "/problems/tablet_moved_on"
        body = {"scores": ALL_FOUR, "token": shown["token"]}
        r = await sv.http.post(answers, headers=TABLET_1, json=body)
        assert r.status_code == 201 and r.json()["channel"] == "counter", r.text
        assert (await sv.http.get(tablet, headers=TABLET_1)).json()["state"] == "waiting"
        # The same visitor then opens the SMS link: already answered.
        r = await sv.http.post(f"/api/v1/tickets/{second}/answers", json={"scores": ALL_FOUR})
        assert r.status_code == 200 and r.json()["repeat"]
        # The first ticket was not answered at the tablet: it may still answer by phone.
        r = await sv.http.post(f"/api/v1/tickets/{first}/answers", json={"scores": ALL_FOUR})
        assert r.status_code == 201
        events = await sv.published(2)
        assert sorted(e["data"]["channel"] for e in events) == ["counter", "phone"]


async def test_fifty_answers_at_once_for_one_ticket_count_once(make_survey):
    async with make_survey() as sv:
        t = ticket()
        await sv.served(t)
        await sv.open_for(t)
        url = f"/api/v1/tickets/{t}/answers"
        replies = await asyncio.gather(*(
            sv.http.post(url, json={"scores": {**ALL_FOUR, "U1": 1 + i % 4}}) for i in range(50)
        ))  # fmt: skip
        assert sorted(r.status_code for r in replies) == [200] * 49 + [201]
        assert len({r.json()["answer_id"] for r in replies}) == 1
        ikm = (await sv.http.get("/api/v1/ikm")).json()["overall"]["ikm"]
        assert ikm["respondents"] == 1
        assert len(await sv.published(2, wait_s=3)) == 1


async def test_the_ikm_equals_the_one_computed_from_the_published_answers(make_survey):
    """Two agencies, known answers: the API's figures per agency and service are the ones
    computed again from the raw events on the answers topic."""
    async with make_survey() as sv:
        plan = [("ktp-el", [4, 4, 3, 4, 4, 3, 4, 2, 3]), ("ktp-el", [3, 3, 3, 3, 3, 3, 3, 3, 3]),
                ("kk", [2, 3, 2, 4, 3, 3, 4, 1, 2]), ("pkb-tahunan", [4, 4, 4, 4, 4, 4, 4, 4, 4]),
                ("pkb-tahunan", [1, 2, 2, 3, 2, 2, 3, 1, 2])]  # fmt: skip
        tickets = []
        for service, _ in plan:
            t = ticket()
            tickets.append(t)
            await sv.served(t, service=service)
        await sv.served(ticket(), service="pkb-tahunan")  # served, never answers: population 6
        for t, (_, scores) in zip(tickets, plan, strict=True):
            await sv.open_for(t)
            body = {"scores": {f"U{i + 1}": s for i, s in enumerate(scores)}}
            assert (
                await sv.http.post(f"/api/v1/tickets/{t}/answers", json=body)
            ).status_code == 201
        events = [e["data"] for e in await sv.published(len(plan))]
        assert len(events) == len(plan)

        def from_events(keep) -> dict[str, dict[int, int]]:
            counts: dict[str, dict[int, int]] = {}
            for e in events:
                if keep(e):
                    for code, score in e["scores"].items():
                        counts.setdefault(code, {}).setdefault(score, 0)
                        counts[code][score] += 1
            return counts

        report = (await sv.http.get("/api/v1/ikm")).json()
        expected = compute(from_events(lambda e: True), 6)
        assert expected is not None
        overall = report["overall"]["ikm"]
        assert overall["rounded"] == expected.rounded and overall["letter"] == expected.letter
        assert report["overall"]["population"] == 6 and overall["respondents"] == 5
        assert overall["minimum_sample"] == expected.minimum_sample and overall["enough"] is False
        by_agency = {a["agency_id"]: a for a in report["agencies"]}
        for agency in ("disdukcapil", "samsat"):
            want = compute(from_events(lambda e, a=agency: e["agency_id"] == a))
            assert want is not None
            assert by_agency[agency]["ikm"]["rounded"] == want.rounded, agency
        only = (await sv.http.get("/api/v1/ikm", params={"service": "kk"})).json()
        want = compute(from_events(lambda e: e["service_id"] == "kk"))
        assert want is not None and only["overall"]["ikm"]["rounded"] == want.rounded
        csv = (await sv.http.get("/api/v1/ikm.csv")).text
        assert f"{expected.rounded:.2f}".replace(".", ",") in csv and "NRR tertimbang" in csv
        page = (await sv.http.get("/ikm")).text
        assert f'data-ikm="{expected.rounded:.2f}"' in page
        bad = await sv.http.get("/api/v1/ikm", params={"from": "2026-12-05", "to": "2026-12-01"})
        assert bad.status_code == 400 and bad.json()["type"] == "/problems/bad_period"
