"""Bad input gets a problem a person can act on, and changes nothing."""

import pytest

from .conftest import COORDINATOR


async def state(tk) -> dict[bytes, bytes]:
    """Every ticketing key of the site, serialised, but the outbox the relay drains meanwhile.

    The `seq` hash is in it, and it moves with every event ever emitted.
    """
    snapshot = {}
    async for key in tk.redis.scan_iter(match=f"{tk.prefix}:*", count=10_000):
        if not key.endswith((b":outbox", b"relay-lease")) and b":op:" not in key:
            snapshot[key] = await tk.redis.dump(key)
    assert any(k.endswith(b":seq") for k in snapshot)
    return snapshot


CASES = [
    (
        "unknown service",
        "POST",
        "/api/v1/tickets",
        {"json": {"service_id": "sim-b1"}},
        None,
        404,
        "unknown_service",
        "Layanan 'sim-b1' tidak ada",
    ),
    (
        "unknown counter",
        "POST",
        "/api/v1/counters/loket-99/call-next",
        {},
        COORDINATOR,
        404,
        "unknown_counter",
        "Loket 'loket-99' tidak ada",
    ),
    (
        "missing token",
        "POST",
        "/api/v1/counters/loket-1/call-next",
        {},
        None,
        401,
        "missing_token",
        "token petugas",
    ),
    (
        "wrong token",
        "POST",
        "/api/v1/counters/loket-1/call-next",
        {},
        "not-a-token",
        401,
        "invalid_token",
        "Token petugas tidak dikenal",
    ),
    (
        "officer at another counter",
        "POST",
        "/api/v1/counters/loket-2/call-next",
        {},
        "test-loket-1",
        403,
        "officer_not_allowed",
        "tidak bertugas di Loket 2",
    ),
    (
        "a service the counter does not serve",
        "POST",
        "/api/v1/counters/loket-1/call-next",
        {"json": {"service_id": "akta"}},
        COORDINATOR,
        403,
        "service_not_served",
        "Loket 1 tidak melayani layanan 'akta'",
    ),
    (
        "finish with nothing called",
        "POST",
        "/api/v1/counters/loket-1/finish",
        {},
        COORDINATOR,
        409,
        "no_current_ticket",
        "Belum ada nomor yang dipanggil",
    ),
    (
        "start with nothing called",
        "POST",
        "/api/v1/counters/loket-1/start",
        {},
        COORDINATOR,
        409,
        "no_current_ticket",
        "Panggil berikutnya",
    ),
    (
        "call with nobody waiting",
        "POST",
        "/api/v1/counters/loket-1/call-next",
        {},
        COORDINATOR,
        409,
        "nothing_waiting",
        "Tidak ada antrean",
    ),
    (
        "transfer to an unknown service",
        "POST",
        "/api/v1/counters/loket-1/transfer",
        {"json": {"service_id": "nope"}},
        COORDINATOR,
        404,
        "unknown_service",
        "tidak ada",
    ),
    (
        "malformed phone",
        "POST",
        "/api/v1/tickets",
        {"json": {"service_id": "ktp", "phone": "12ab"}},
        None,
        422,
        "invalid_phone",
        "Nomor HP tidak valid",
    ),
    (
        "landline phone",
        "POST",
        "/api/v1/tickets",
        {"json": {"service_id": "ktp", "phone": "(0549) 21234"}},
        None,
        422,
        "invalid_phone",
        "tidak valid",
    ),
    (
        "unknown priority",
        "POST",
        "/api/v1/tickets",
        {"json": {"service_id": "ktp", "priority": "vip"}},
        None,
        422,
        "validation_error",
        "priority",
    ),
    (
        "unknown field",
        "POST",
        "/api/v1/tickets",
        {"json": {"service_id": "ktp", "nama": "Budi"}},
        None,
        422,
        "validation_error",
        "nama",
    ),
    (
        "malformed JSON",
        "POST",
        "/api/v1/tickets",
        {"content": b'{"service_id": "ktp",', "headers": {"content-type": "application/json"}},
        None,
        400,
        "malformed_body",
        "bukan JSON",
    ),
    (
        "oversized body",
        "POST",
        "/api/v1/tickets",
        {
            "content": b'{"service_id": "' + b"x" * 20_000 + b'"}',
            "headers": {"content-type": "application/json"},
        },
        None,
        413,
        "body_too_large",
        "terlalu besar",
    ),
    (
        "unknown ticket",
        "GET",
        "/api/v1/tickets/20261130-A999-zzzz",
        {},
        None,
        404,
        "unknown_ticket",
        "tidak ditemukan",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "token", "status", "code", "says"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
async def test_bad_input_gets_a_problem_and_changes_nothing(
    make_ticketing, method, path, kwargs, token, status, code, says
):
    async with make_ticketing() as tk:
        await tk.http.post("/api/v1/counters/loket-1/open", headers=tk.auth())
        before = await state(tk)
        headers = {**kwargs.pop("headers", {}), **(tk.auth(token) if token else {})}
        r = await tk.http.request(method, path, headers=headers, **kwargs)
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["type"] == f"/problems/{code}" and body["status"] == status
        assert says in body["detail"], body["detail"]
        assert await state(tk) == before


async def test_wrong_state_actions_are_refused_and_change_nothing(make_ticketing):
    async with make_ticketing() as tk:
        await tk.http.post("/api/v1/counters/loket-1/open", headers=tk.auth())
        await tk.http.post("/api/v1/tickets", json={"service_id": "ktp"})
        await tk.http.post("/api/v1/tickets", json={"service_id": "ktp"})
        await tk.http.post("/api/v1/counters/loket-1/call-next", headers=tk.auth())
        await tk.http.post("/api/v1/counters/loket-1/start", headers=tk.auth())
        before = await state(tk)
        for path, body, code in [
            ("call-next", None, "ticket_in_progress"),  # finish A-001 first
            ("recall", None, "wrong_state"),  # serving, not waiting to be called
            ("finish", {"outcome": "no_show"}, "wrong_state"),  # it came: not a no-show
            ("transfer", {"service_id": "ktp"}, "same_service"),
            ("close", None, "ticket_in_progress"),
        ]:
            r = await tk.http.post(f"/api/v1/counters/loket-1/{path}", json=body, headers=tk.auth())
            assert r.json()["type"] == f"/problems/{code}", (path, r.text)
            assert "A-001" in r.json()["detail"] or code == "same_service", r.text
        assert await state(tk) == before
