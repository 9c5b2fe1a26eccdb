"""The notifier on real Kafka, Redis and Kannel (+ fakesmsc): what is sent, once, and what is
dead-lettered."""

import orjson

from tests.integration.notifier.conftest import NotifierFactory
from tests.integration.notifier.helpers import (
    CIPHER,
    Events,
    Fakesmsc,
    dead_letters,
    metric,
    produce,
    unique_phone,
)


async def test_issue_near_turn_and_call_are_sent_once_in_order_despite_redelivery(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    n = await start_notifier()
    sms, phone, ev = Fakesmsc(), unique_phone(), Events(site_id)
    t7, issued7 = ev.issued("A-007", phone, ahead=5)
    others = [ev.issued(f"A-00{i}", None, ahead=i - 1)[1] for i in (8, 9)]
    # Two calls: A-007 moves to third in line (index 2 of upcoming), then is called.
    near = ev.called("A-002", None, 4, [f"{site_id}-A-005", f"{site_id}-A-006", t7])
    call = ev.called("A-007", phone, 3, [f"{site_id}-A-008"])
    again = ev.called("A-003", None, 5, [f"{site_id}-A-006", f"{site_id}-A-009", t7])
    events = [issued7, *others, near, call]
    # Every event twice (a redelivery), and a later event that puts A-007 third again.
    await produce(kafka_bootstrap, n.topic, ev.key, *events, *events, again)  # type: ignore[attr-defined]

    got = await sms.wait_for({phone}, lambda m: len(m) >= 3)
    assert [text for _, text in got] == [
        "Nomor antrean A-007 (Disdukcapil, Perekaman & Pencetakan KTP-el). "
        f"5 orang di depan Anda, perkiraan dipanggil pukul {_eta(issued7)}.",
        "Nomor antrean A-007: giliran Anda sudah dekat, tinggal 2 orang lagi. "
        "Silakan menunggu di dekat loket Disdukcapil.",
        "Nomor antrean A-007 dipanggil. Silakan menuju loket 3 (Disdukcapil).",
    ]
    # Nothing more comes: wait for a marker SMS sent after everything else.
    marker = unique_phone()
    mev = Events(site_id, service="kk")
    await produce(kafka_bootstrap, n.topic, mev.key, mev.issued("B-001", marker, ahead=9)[1])  # type: ignore[attr-defined]
    await sms.wait_for({marker}, lambda m: len(m) >= 1)
    assert len(sms.messages({phone})) == 3
    assert metric(n.url, "notifier_sms_total", provider="kannel", outcome="sent") == 4


async def test_invalid_phone_is_dead_lettered_with_the_reason_and_gets_no_sms(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    n = await start_notifier()
    ev = Events(site_id)
    _, raw = ev.issued("A-001", "+62812", ahead=1)
    await produce(kafka_bootstrap, n.topic, ev.key, raw, b"{not json")  # type: ignore[attr-defined]
    dlq = []
    for _ in range(20):
        dlq = await dead_letters(kafka_bootstrap, n.dlq, idle_ms=500)  # type: ignore[attr-defined]
        if len(dlq) >= 2:
            break
    reasons = sorted(d["reason"] for d in dlq)
    assert len(dlq) == 2 and all(d["consumer"] == "notifier" for d in dlq)
    assert "not a valid number" in reasons[1] and "A-001" in reasons[1]
    assert "+62812" not in reasons[1]
    assert reasons[0].startswith("not a CloudEvents")
    assert metric(n.url, "notifier_sms_total", outcome="sent") == 0


async def test_gateway_failure_is_retried_with_backoff_then_dead_lettered(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    n = await start_notifier(
        NOTIFIER_PROVIDER="http",
        NOTIFIER_HTTP_URL="http://127.0.0.1:9/nothing-listens-here",
        NOTIFIER_RETRY_BASE_S="0.05",
        NOTIFIER_RETRY_MAX_ATTEMPTS="3",
    )
    ev, phone = Events(site_id), unique_phone()
    await produce(kafka_bootstrap, n.topic, ev.key, ev.issued("A-001", phone, ahead=4)[1])  # type: ignore[attr-defined]
    dlq = []
    for _ in range(20):
        dlq = await dead_letters(kafka_bootstrap, n.dlq, idle_ms=500)  # type: ignore[attr-defined]
        if dlq:
            break
    [record] = dlq
    body = orjson.loads(record["value"])
    assert body["reason"] == "gateway" and body["attempts"] == 3 and body["kind"] == "issued"
    assert phone not in record["value"].decode() and phone not in record["reason"]
    assert CIPHER.decrypt(body["phone_encrypted"]) == phone  # kept, encrypted, for a replay
    assert metric(n.url, "notifier_sms_retried_total", kind="issued") == 2
    assert metric(n.url, "notifier_sms_failed_total", kind="issued") == 3
    assert metric(n.url, "notifier_sms_dead_lettered_total", reason="gateway") == 1
    assert metric(n.url, "notifier_sms_total", kind="issued", outcome="dead_lettered") == 1
    assert phone not in _all_metrics(n.url)


def _eta(raw: bytes) -> str:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    d = orjson.loads(raw)["data"]
    at = datetime.fromisoformat(d["issued_at"]) + timedelta(seconds=d["estimated_wait_s"])
    return at.astimezone(ZoneInfo("Asia/Makassar")).strftime("%H.%M") + " WITA"


def _all_metrics(url: str) -> str:
    import httpx

    return httpx.get(f"{url}/metrics").text


async def test_a_booking_is_confirmed_and_reminded_once_each_through_kannel(
    start_notifier: NotifierFactory, kafka_bootstrap: str, site_id: str
) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    n = await start_notifier()
    sms, phone, ev = Fakesmsc(), unique_phone(), Events(site_id)
    slot = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    made = ev.booking("antre.booking.created", "K7PM3QXA", phone, slot)
    due = ev.booking("antre.booking.reminder_due", "K7PM3QXA", phone, slot)
    silent = ev.booking("antre.booking.created", "AAAACCCC", None, slot)
    await produce(kafka_bootstrap, n.topic, ev.key, made, silent, made, due, due)  # type: ignore[attr-defined]

    got = await sms.wait_for({phone}, lambda m: len(m) >= 2)
    local = slot.astimezone(timezone(timedelta(hours=8)))  # WITA
    texts = [text for _, text in got]
    assert len(texts) == 2, texts
    assert texts[0].startswith("Antrean daring Disdukcapil: ") and "K7PM-3QXA" in texts[0]
    assert f"pukul {local:%H.%M} WITA" in texts[0]
    assert texts[1].startswith("Pengingat antrean daring Disdukcapil besok")
    marker = unique_phone()
    mev = Events(site_id, service="kk")
    await produce(kafka_bootstrap, n.topic, mev.key, mev.issued("B-001", marker, ahead=9)[1])  # type: ignore[attr-defined]
    await sms.wait_for({marker}, lambda m: len(m) >= 1)
    assert len(sms.messages({phone})) == 2  # each once, despite the copies
