"""Kannel's delivery reports settle an SMS left in doubt, by what they say: only "delivered"
or "accepted" means sent; a failure sends it again (real notifier, Redis, Kannel)."""

import pytest
import redis.asyncio as aioredis

from tests.integration.notifier.conftest import NotifierFactory
from tests.integration.notifier.helpers import (
    Events,
    Fakesmsc,
    delivery_report,
    in_doubt,
    metric,
    produce,
    unique_phone,
)
from tests.support.waiting import eventually


@pytest.mark.parametrize(
    ("status", "resolution", "texts"),
    [
        (8, "confirmed", 0),
        (1, "confirmed", 0),
        (16, "reported_failed", 1),
        (2, "reported_failed", 1),
    ],
    ids=["accepted: sent", "delivered: sent", "rejected: sent again", "undelivered: sent again"],
)
async def test_an_sms_in_doubt_is_settled_by_what_its_delivery_report_says(
    start_notifier: NotifierFactory,
    redis_client: aioredis.Redis,
    redis_url: str,
    site_id: str,
    status: int,
    resolution: str,
    texts: int,
) -> None:
    # Unreported, an in-doubt SMS would wait 30 s: whatever happens sooner, the report did.
    n = await start_notifier(NOTIFIER_IN_DOUBT_HOLD_S="30")
    sms, phone = Fakesmsc(), unique_phone()
    notice = await in_doubt(redis_url, n.env["NOTIFIER_GROUP_ID"], site_id, "t1", phone)
    assert delivery_report(n.url, site_id, notice, status).status_code == 200

    async def settled() -> bool:
        return metric(n.url, "notifier_sms_in_doubt_total", resolution=resolution) == 1

    await eventually(settled, f"the in-doubt SMS {resolution}")
    got = await sms.wait_for({phone}, lambda m: len(m) >= texts, wait_s=10)
    assert len(got) == texts
    await eventually(lambda: _outcome(redis_client, site_id, notice), "the SMS finished as sent")


async def test_kannels_own_reports_are_believed(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    """The signed dlr-url round trip through the real Kannel: its report is not refused."""
    n = await start_notifier()
    ev = Events(site_id)
    await produce(kafka_bootstrap, n.topic, ev.key, ev.issued("A-001", unique_phone(), ahead=4)[1])  # type: ignore[attr-defined]

    async def reported() -> bool:
        return metric(n.url, "notifier_delivery_reports_total", report="accepted") == 1

    await eventually(reported, "Kannel's report that the SMS centre accepted the SMS")
    assert metric(n.url, "notifier_delivery_reports_total", report="refused") == 0


async def _outcome(redis: aioredis.Redis, site: str, notice: str) -> bool:
    return bool(await redis.get(f"{{{site}}}:notifier:once:{notice}") == b"sent")
