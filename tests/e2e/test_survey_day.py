"""A simulated day in which served visitors answer the survey by phone with a known
distribution of scores (tools/simulator/survey.py): the IKM the survey's page and API show
equals the one computed again from the raw answers on the answers topic."""

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from survey.domain.ikm import compute

from tests.support.processes import ServiceProcess, free_port
from tools.simulator.cli import parse, simulate

pytestmark = pytest.mark.e2e


@pytest.fixture
async def hall(new_topic: Any, kafka_bootstrap: str, site_id: str) -> AsyncIterator[dict[str, Any]]:
    topic, answers = await new_topic(), await new_topic("survey.answers", 3)
    tk_port, sv_port = free_port(), free_port()
    ticketing = ServiceProcess("ticketing", tk_port, {
        "TICKETING_KAFKA_BOOTSTRAP": kafka_bootstrap, "TICKETING_TOPIC": topic,
        "TICKETING_SITE_ID": site_id, "TICKETING_ENFORCE_HOURS": "false",
        "TICKETING_PORT": str(tk_port), "TICKETING_KIOSK_RATE": "100000/minute",
        "TICKETING_PUBLIC_RATE_PER_ADDRESS": "100000/minute",
        "TICKETING_PUBLIC_RATE_SITE": "100000/minute",
    })  # fmt: skip
    survey = ServiceProcess("survey", sv_port, {
        "SURVEY_KAFKA_BOOTSTRAP": kafka_bootstrap, "SURVEY_TOPIC": topic,
        "SURVEY_ANSWERS_TOPIC": answers, "SURVEY_SITE_ID": site_id,
        "SURVEY_GROUP_ID": f"survey-{site_id}", "SURVEY_PORT": str(sv_port),
        "SURVEY_DEAD_LETTER_TOPIC": await new_topic("dlq", 1),
    })  # fmt: skip
    await asyncio.gather(asyncio.to_thread(ticketing.start), asyncio.to_thread(survey.start))
    try:
        yield {"ticketing": ticketing, "survey": survey, "answers": answers}
    finally:
        await asyncio.gather(asyncio.to_thread(ticketing.stop), asyncio.to_thread(survey.stop))


async def raw_answers(kafka: str, topic: str, count: int) -> list[dict[str, Any]]:
    """Every answer on the topic, de-duplicated by CloudEvent id (the relay is at least once)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka, auto_offset_reset="earliest")
    await consumer.start()
    seen: dict[str, dict[str, Any]] = {}
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while len(seen) < count and loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    event = orjson.loads(r.value)
                    seen[event["id"]] = event["data"]
    finally:
        await consumer.stop()
    return list(seen.values())


async def test_the_ikm_shown_is_the_one_the_raw_answers_give(
    hall: dict[str, Any], kafka_bootstrap: str
) -> None:
    args = parse(["--url", hall["ticketing"].url, "--survey-url", hall["survey"].url,
                  "--speed", "240", "--hours", "2", "--visitors", "160", "--survey-share", "0.8",
                  "--token", "demo-koordinator", "--quiet"])  # fmt: skip
    tally = await simulate(args)
    served = tally.summary()["served"]
    assert served > 60 and tally.summary()["bare_5xx"] == 0
    async with httpx.AsyncClient(base_url=hall["survey"].url, timeout=10) as http:
        api = (await http.get("/api/v1/ikm")).json()
        page = (await http.get("/ikm")).text
    respondents = api["overall"]["ikm"]["respondents"]
    assert served * 0.6 < respondents <= served  # ~80% answered
    answers = await raw_answers(kafka_bootstrap, hall["answers"], respondents)
    assert len(answers) == respondents
    counts: dict[str, dict[int, int]] = {}
    for a in answers:
        for code, score in a["scores"].items():
            counts.setdefault(code, {}).setdefault(score, 0)
            counts[code][score] += 1
    expected = compute(counts, served)
    assert expected is not None
    overall = api["overall"]
    assert overall["population"] == served
    assert overall["ikm"]["rounded"] == expected.rounded
    assert overall["ikm"]["letter"] == expected.letter
    assert [e["nrr"] for e in overall["ikm"]["elements"]] == pytest.approx(
        [e.nrr for e in expected.elements]
    )
    shown = re.search(r'class="ikm" data-ikm="([0-9.]+)"', page)
    assert shown is not None and float(shown.group(1)) == expected.rounded
    # The distribution's own IKM is 78.0; a sample of this size lands within a few points.
    print(f"\n{served} served, {respondents} answered: IKM {expected.rounded} {expected.letter}"
          f" (distribution: 78.0); minimum sample {expected.minimum_sample}")  # fmt: skip
