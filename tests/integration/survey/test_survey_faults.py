"""The survey through a SIGKILL of its Redis: a 503 problem while it is away, nothing lost
that was acknowledged, and every loop (consumer, relay) working again once it is back."""

import asyncio
import uuid
from pathlib import Path

import pytest

from tests.integration.survey.conftest import ALL_FOUR
from tests.support.redis import PrivateRedis

pytestmark = pytest.mark.integration


async def test_a_redis_killed_and_restarted_loses_no_answer(make_survey, tmp_path: Path):
    own = PrivateRedis(tmp_path / "redis").start()
    try:
        async with make_survey(redis=own.url) as sv:
            before, during, after = (f"20261203-A00{i}-{uuid.uuid4().hex[:24]}" for i in (1, 2, 3))
            await sv.served(before)
            await sv.served(during)
            await sv.open_for(during)
            r = await sv.http.post(f"/api/v1/tickets/{before}/answers", json={"scores": ALL_FOUR})
            assert r.status_code == 201

            own.kill()
            r = await sv.http.post(f"/api/v1/tickets/{during}/answers", json={"scores": ALL_FOUR})
            assert r.status_code == 503 and r.headers["retry-after"], r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert (await sv.http.get("/readyz")).status_code == 503
            await sv.served(after)  # arrives while Redis is away: consumed once it is back
            await asyncio.sleep(1)

            own.start()  # the same port and AOF (fsync always)
            r = await sv.http.post(f"/api/v1/tickets/{during}/answers", json={"scores": ALL_FOUR})
            assert r.status_code == 201, r.text
            await sv.open_for(after)
            r = await sv.http.post(f"/api/v1/tickets/{after}/answers", json={"scores": ALL_FOUR})
            assert r.status_code == 201, r.text
            again = await sv.http.post(
                f"/api/v1/tickets/{before}/answers", json={"scores": ALL_FOUR}
            )
            assert again.status_code == 200 and again.json()["repeat"]  # survived the kill

            async def ready() -> bool:
                return (await sv.http.get("/readyz")).status_code == 200

            await sv.until(ready, "every loop working again", 30)
            events = await sv.published(3)
            assert sorted(e["subject"] for e in events) == sorted([before, during, after])
            ikm = (await sv.http.get("/api/v1/ikm")).json()["overall"]
            assert ikm["ikm"]["respondents"] == 3 and ikm["population"] == 3
    finally:
        own.kill()


async def test_the_asyncapi_document_names_what_it_consumes_and_publishes(make_survey):
    async with make_survey() as sv:
        doc = (await sv.http.get("/asyncapi.json")).json()
        channels = str(doc["channels"])
        assert sv.topic in channels and sv.answers_topic in channels
        assert "SurveySubmitted" in str(doc["components"])
