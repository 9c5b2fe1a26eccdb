"""Attacks on ticketing an outsider could make, one test each, against real Redis and Kafka.

Each names the attack it stops; each failed before its fix (the security issue lists them).
"""

import base64
import hashlib
import hmac
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from antre_contracts.phone import DEV_PHONE_KEY
from cryptography.fernet import Fernet
from pydantic import ValidationError
from ticketing.app import create_app
from ticketing.config import DEV_SECRET_KEY, REPO, Settings

from tests.integration.ticketing.conftest import COORDINATOR, Ticketing

PUBLIC = {"X-Test-Public": "1"}  # the public channel: no kiosk token
TICKET = "/api/v1/tickets"
REAL_KEY = Fernet.generate_key().decode()
STRONG = "s3cure-" + "x" * 40


def client(tk: Ticketing, address: str) -> httpx.AsyncClient:
    """A client of the same app from another address (another visitor, another replica's)."""
    transport = httpx.ASGITransport(app=tk.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://ticketing")


# 1. Use up a day's quota in seconds and text arbitrary numbers


async def test_an_anonymous_client_is_held_to_the_public_channel_limits(make_ticketing):
    async with make_ticketing() as tk:
        answers = [
            (await tk.http.post(TICKET, json={"service_id": "kk"}, headers=PUBLIC)).status_code
            for _ in range(4)
        ]
        assert answers == [201, 201, 201, 429]  # 3 a minute per address
        refused = await tk.http.post(TICKET, json={"service_id": "kk"}, headers=PUBLIC)
        assert refused.headers["content-type"] == "application/problem+json"
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        issued = await tk.http.post(TICKET, json={"service_id": "kk"})  # the hall's kiosk
        assert issued.status_code == 201 and issued.json()["number"] == "B-004"


async def test_the_public_limits_are_shared_by_every_replica(make_ticketing):
    """Two apps on one Redis (two replicas) count one address's tickets together."""
    async with make_ticketing() as one, make_ticketing() as two:
        assert one.site == two.site
        for tk in (one, two, one):
            r = await tk.http.post(TICKET, json={"service_id": "kk"}, headers=PUBLIC)
            assert r.status_code == 201, r.text
        r = await two.http.post(TICKET, json={"service_id": "kk"}, headers=PUBLIC)
        assert r.status_code == 429


async def test_the_public_channel_takes_only_its_share_of_a_quota(make_ticketing):
    async with make_ticketing(quota=10, public_rate_per_address="100/minute") as tk:
        public = [
            (await tk.http.post(TICKET, json={"service_id": "ktp"}, headers=PUBLIC)).json()
            for _ in range(3)
        ]
        assert [p.get("number") for p in public[:2]] == ["A-001", "A-002"]  # 20% of 10
        assert public[2]["type"] == "/problems/public_quota_exhausted"
        kiosk = [(await tk.http.post(TICKET, json={"service_id": "ktp"})) for _ in range(9)]
        assert [r.status_code for r in kiosk] == [201] * 8 + [409]
        assert kiosk[-1].json()["type"] == "/problems/quota_exhausted"


async def test_a_kiosk_needs_its_own_token(make_ticketing):
    async with make_ticketing() as tk:
        forged = {"Authorization": "Bearer made-up-kiosk"}
        r = await tk.http.post(TICKET, json={"service_id": "kk"}, headers=forged)
        assert r.status_code == 401 and r.json()["type"] == "/problems/invalid_kiosk_token"
        body = {"service_id": "kk", "channel": "kiosk"}
        r = await tk.http.post(TICKET, json=body, headers=PUBLIC)
        assert r.status_code == 401 and r.json()["type"] == "/problems/kiosk_token_required"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
async def test_a_cross_site_simple_post_is_refused_before_it_issues(make_ticketing, content_type):
    """A browser sends these cross-site without a preflight; only JSON is taken."""
    async with make_ticketing() as tk:
        headers = {"Content-Type": content_type} if content_type else {}
        body = orjson.dumps({"service_id": "kk"})
        r = await tk.http.post(TICKET, content=body, headers=headers)
        assert r.status_code == 415, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert (await tk.http.get("/api/v1/queues/kk")).json()["waiting"] == 0


async def test_no_cross_origin_request_is_allowed(make_ticketing):
    async with make_ticketing() as tk:
        preflight = await tk.http.options(
            TICKET,
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert "access-control-allow-origin" not in preflight.headers
        r = await tk.http.get("/api/v1/catalog", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


# 2. Act as any officer in production


def production(**more: Any) -> Settings:
    """Production settings with real secrets; the shipped demo catalog unless `catalog_path`."""
    return Settings(environment="production", phone_key=REAL_KEY, secret_key=STRONG, **more)


def test_production_refuses_the_shipped_demo_catalog() -> None:
    settings = production()
    assert settings.catalog_path == REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml"
    with pytest.raises(SystemExit, match="demo tokens in the catalog"):
        create_app(settings)


def test_production_refuses_a_catalog_holding_a_demo_token(tmp_path: Path) -> None:
    shipped = (REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml").read_text()
    own = re.sub(
        r'token_sha256 = "[0-9a-f]{64}"', lambda _: f'token_sha256 = "{_random_hash()}"', shipped
    )
    demo = hashlib.sha256(b"demo-koordinator").hexdigest()
    path = tmp_path / "catalog.toml"
    path.write_text(own)
    create_app(production(catalog_path=path))  # all its own tokens: starts
    path.write_text(own.replace(_first_hash(own), demo, 1))
    with pytest.raises(SystemExit, match="demo tokens"):
        create_app(production(catalog_path=path))


@pytest.mark.parametrize(
    "phone_key",
    [
        DEV_PHONE_KEY,
        f" {DEV_PHONE_KEY}\n",
        DEV_PHONE_KEY.rstrip("="),
        f"{REAL_KEY},{DEV_PHONE_KEY}",
    ],
)
def test_production_refuses_the_development_phone_key_in_any_spelling(phone_key: str) -> None:
    with pytest.raises(ValidationError, match="development phone key"):
        Settings(environment="production", phone_key=phone_key, secret_key=STRONG)


@pytest.mark.parametrize("secret", [DEV_SECRET_KEY, f" {DEV_SECRET_KEY} ", "short-secret"])
def test_production_refuses_a_development_or_short_secret_key(secret: str) -> None:
    with pytest.raises(ValidationError, match="TICKETING_SECRET_KEY"):
        Settings(environment="production", phone_key=REAL_KEY, secret_key=secret)


async def test_wrong_tokens_from_one_address_are_throttled_even_when_one_is_right(make_ticketing):
    async with make_ticketing() as tk:
        wrong = [
            (await tk.http.get("/api/v1/counters/loket-1/session", headers=tk.auth(f"guess-{i}")))
            for i in range(10)
        ]
        assert {r.status_code for r in wrong} == {401}
        right = await tk.http.get("/api/v1/counters/loket-1/session", headers=tk.auth())
        assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
        assert right.json()["type"] == "/problems/too_many_attempts"
        async with client(tk, "10.0.0.9") as elsewhere:  # another officer's desk
            r = await elsewhere.get("/api/v1/counters/loket-2/session", headers=tk.auth())
            assert r.status_code == 200


async def test_wrong_tokens_at_one_counter_are_throttled_from_any_address(make_ticketing):
    async with make_ticketing() as tk:
        for i in range(20):  # two at each of ten addresses: under the per-address limit
            async with client(tk, f"10.1.0.{i // 2}") as guesser:
                r = await guesser.post("/api/v1/counters/loket-1/open", headers=tk.auth(f"g{i}"))
                assert r.status_code == 401
        async with client(tk, "10.2.0.1") as officer:
            r = await officer.post("/api/v1/counters/loket-1/open", headers=tk.auth())
            assert r.status_code == 429
            r = await officer.post("/api/v1/counters/loket-2/open", headers=tk.auth())
            assert r.status_code == 200  # another counter is not locked


async def test_production_refuses_an_officer_token_under_128_bits(make_ticketing, tmp_path):
    strong = "T" * 43  # like secrets.token_urlsafe(32)
    async with make_ticketing(
        environment="production", phone_key=REAL_KEY, secret_key=STRONG
    ) as tk:
        weak = await tk.http.get("/api/v1/counters/loket-1/session", headers=tk.auth(COORDINATOR))
        assert weak.status_code == 403 and weak.json()["type"] == "/problems/weak_token"
    catalog = (tmp_path / "catalog.toml").read_text()
    catalog = catalog.replace(
        hashlib.sha256(COORDINATOR.encode()).hexdigest(),
        hashlib.sha256(strong.encode()).hexdigest(),
    )
    (tmp_path / "catalog.toml").write_text(catalog)
    settings = Settings(
        environment="production",
        phone_key=REAL_KEY,
        secret_key=STRONG,
        catalog_path=tmp_path / "catalog.toml",
        site_id=tk.site,
        topic=tk.topic,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            r = await http.get("/api/v1/counters/loket-1/session", headers=tk.auth(strong))
            assert r.status_code == 200, r.text


# 3. Learn visitors' health-related data


async def test_the_status_link_holds_96_random_bits(make_ticketing):
    async with make_ticketing() as tk:
        ids = [
            (await tk.http.post(TICKET, json={"service_id": "kk"})).json()["ticket_id"]
            for _ in range(2)
        ]
        secrets_ = [ticket_id.rsplit("-", 1)[1] for ticket_id in ids]
        assert all(re.fullmatch(r"[0-9a-f]{24}", s) for s in secrets_)  # 96 bits
        assert secrets_[0] != secrets_[1]


async def test_the_public_queue_listing_carries_numbers_only(make_ticketing):
    async with make_ticketing() as tk:
        issued = await tk.http.post(TICKET, json={"service_id": "kk", "priority": "ibu_hamil"})
        ticket_id = issued.json()["ticket_id"]
        listing = await tk.http.get("/api/v1/queues/kk")
        assert listing.json()["numbers"] == ["B-001"]
        assert ticket_id not in listing.text and "ibu_hamil" not in listing.text
        anonymous = await tk.http.get("/api/v1/counters/loket-3")
        assert anonymous.status_code == 401
        officers = await tk.http.get("/api/v1/counters/loket-3/queues", headers=tk.auth())
        assert officers.json()[0]["tickets"][0]["priority"] == "ibu_hamil"


async def test_guessing_ticket_ids_is_throttled(make_ticketing):
    async with make_ticketing() as tk:
        known = (await tk.http.post(TICKET, json={"service_id": "kk"})).json()["ticket_id"]
        misses = [
            (await tk.http.get(f"/api/v1/tickets/{known[:-4]}{i:04x}")).status_code
            for i in range(30)
        ]
        assert set(misses) == {404}
        r = await tk.http.get(f"/api/v1/tickets/{known}")
        assert r.status_code == 429  # even a right guess, once the address missed too often
        async with client(tk, "10.3.0.1") as visitor:
            assert (await visitor.get(f"/api/v1/tickets/{known}")).status_code == 200


# 6. Read phone numbers back


@pytest.mark.parametrize("phone", ["0812-3456-78901234", "+62 812 3456 7890 12", "0812345678" * 4])
async def test_a_refused_phone_number_is_never_echoed(make_ticketing, phone: str):
    async with make_ticketing() as tk:
        r = await tk.http.post(TICKET, json={"service_id": "kk", "phone": phone})
        assert r.status_code == 422, r.text
        digits = re.sub(r"\D", "", phone)
        assert digits[-8:] not in re.sub(r"\D", "", r.text)


async def test_the_idempotency_fingerprint_is_a_keyed_hmac(make_ticketing):
    async with make_ticketing() as tk:
        body = {"service_id": "kk", "phone": "081234567890"}
        r = await tk.http.post(TICKET, json=body, headers={"Idempotency-Key": "k-1"})
        assert r.status_code == 201
        stored = [await tk.redis.get(k) async for k in tk.redis.scan_iter(f"{tk.prefix}:op:*")]
        fingerprints = {orjson.loads(v).get("fp") for v in stored if v} - {None}
        canonical = orjson.dumps(
            {"channel": None, "phone": "081234567890", "priority": "regular", "service_id": "kk"},
            option=orjson.OPT_SORT_KEYS,
        )
        plain = hashlib.sha256(canonical).hexdigest()[:40]
        keyed = hmac.new(DEV_SECRET_KEY.encode(), canonical, hashlib.sha256).hexdigest()[:40]
        assert fingerprints == {keyed} and plain not in fingerprints


def _random_hash() -> str:
    return hashlib.sha256(base64.b64encode(Fernet.generate_key())).hexdigest()


def _first_hash(catalog: str) -> str:
    found = re.search(r'token_sha256 = "([0-9a-f]{64})"', catalog)
    assert found
    return found.group(1)


def test_a_refused_start_names_the_variable_and_never_quotes_a_secret() -> None:
    """A production start with the development phone key: the message must help the operator
    without printing the keys it was given into the service's log."""
    leaked = f"{REAL_KEY},{DEV_PHONE_KEY}"
    env = {
        **os.environ,
        "TICKETING_ENVIRONMENT": "production",
        "TICKETING_PHONE_KEY": leaked,
        "TICKETING_SECRET_KEY": STRONG,
    }
    done = subprocess.run(
        [sys.executable, "-m", "ticketing"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "TICKETING_PHONE_KEY" in done.stderr and "development phone key" in done.stderr
    assert REAL_KEY not in done.stderr and DEV_PHONE_KEY not in done.stderr
    assert STRONG not in done.stderr
