"""The four services' HTTP APIs, fuzzed from their own OpenAPI documents (Schemathesis).

Ticketing, display, notifier and survey run as processes on the real Kafka and Redis (a hall of the
test's own). From each service's /openapi.json Schemathesis makes requests that fit the document
and requests that break it (mode "all"): the documented examples, boundary values, wrong types,
missing and undocumented parts, other media types (its coverage phase), then random ones. Two
rules hold for every answer:
- no 5xx: no request, however wrong, breaks a service;
- every 4xx and 5xx is RFC 9457 problem JSON (application/problem+json, with `type`, `title`
  and the response's own `status`): the kiosk and the console show nothing else.

Every request goes out twice: from someone signed in nowhere, and signed in (the koordinator's
token, good at every counter, on each operation that declares officerToken; a kiosk's device
token on POST /api/v1/tickets). Counter, service and ticket ids are mostly real ones, so
requests reach past "unknown counter"; other strings are often ones that break parsers. A
failure prints the request as curl.

Two more tests keep the fuzzing honest: every `$ref` in a document resolves (Schemathesis
sends no body at all where one does not), and a path or method a document lacks is refused
with a problem too.

Bounded for CI: a fixed seed (ANTRE_FUZZ_SEED plays another), a few dozen random cases per
operation, no shrinking, no example database left behind.
"""

import os
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import BaseSchema, Case, CheckContext, HookContext, Response
from schemathesis.checks import not_a_server_error

from tests.support.hall import Hall, own_hall

pytestmark = pytest.mark.e2e
SEED = int(os.environ.get("ANTRE_FUZZ_SEED", "9457"))
EXAMPLES = 50
SERVICES = ["ticketing", "display", "notifier", "survey"]
PROBLEM_FIELDS = {"type": str, "title": str, "status": int}


@dataclass(frozen=True)
class Caller:
    """Who sends the requests, and with which tokens."""

    name: str
    officer_token: str | None = None
    kiosk_token: str | None = None

    def headers(self, case: Case[Any]) -> dict[str, str]:
        if self.kiosk_token and (case.method, case.path) == ("POST", "/api/v1/tickets"):
            return {"Authorization": f"Bearer {self.kiosk_token}"}
        security = case.operation.definition.raw.get("security") or []
        if self.officer_token and any("officerToken" in s for s in security):
            return {"Authorization": f"Bearer {self.officer_token}"}
        return {}


CALLERS = [Caller("anonymous"), Caller("signed-in", "demo-koordinator", "demo-kiosk-01")]


TRICKY = [
    "²-0", "0-¹", "³", "١٢٣-٠", "18446744073709551616-0", "0-0", "-1", "", "\u0000", "NaN", "null",
    "ktp-el,", "a" * 300, "🙂",
]  # fmt: skip
"""Strings that break parsers but that random generation seldom hits: digits Python's
str.isdigit accepts and int() refuses (superscripts) or accepts (Arabic-Indic), numbers past
64 bits, empty strings, control characters, lists with an empty item, emoji."""
HEADER_TRICKY = [
    t for t in TRICKY if t == t.strip() and t.isprintable() and max(map(ord, t), default=0) < 256
]
"""The ones a header can carry (latin-1, no control characters, no whitespace around)."""


def fuzzing(seed: int = SEED) -> schemathesis.Config:
    """Bounded: a few dozen random cases per operation on top of the examples and coverage
    cases, no shrinking, no Hypothesis database (nothing written into the repository)."""
    return schemathesis.Config.from_dict(
        {
            "seed": seed,
            "generation": {
                "mode": "all", "max-examples": EXAMPLES, "no-shrink": True, "database": "none",
            },
            # Methods a path lacks are tried once each by their own test below. Here they would
            # be every operation's first failure, and a Hypothesis test stops at its first:
            # nothing else would surface while they fail.
            "phases": {"coverage": {"unexpected-methods": []}},
            "request-timeout": 10,
            # The board stream never ends: an SSE response is read until its first event (a
            # snapshot, or what a resumed board missed) or 3 s, then cut. Its status, headers
            # and a refusal's body all come before that, so the rules still apply in full.
            "operations": [
                {"include-path": "/api/v1/board/stream", "request-timeout": 3,
                 "max-stream-events": 1},
            ],
        }
    )  # fmt: skip


def not_a_problem(status: int, media_type: str, content: bytes) -> str | None:
    """What keeps an error answer from being RFC 9457 problem JSON with type, title and its
    own status (None: nothing, or not an error)."""
    if status < 400:
        return None
    media = media_type.split(";")[0].strip().lower()
    said = content[:300].decode("utf-8", "replace")
    if media != "application/problem+json":
        return f"{status} as {media or 'no media type'!r}: {said}"
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return f"{status} problem that is not JSON: {said}"
    wrong = [
        k
        for k, kind in PROBLEM_FIELDS.items()
        if not isinstance(body, dict) or not isinstance(body.get(k), kind)
    ]
    if wrong:
        return f"{status} problem without a valid {', '.join(wrong)}: {said}"
    if body["status"] != status:
        return f"{status} problem that says status {body['status']}: {said}"
    return None


def problem_details(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A Schemathesis check: a 4xx or 5xx is RFC 9457 problem JSON."""
    media = (response.headers.get("content-type") or [""])[0]
    complaint = not_a_problem(response.status_code, media, response.content)
    if complaint:
        raise AssertionError(complaint)
    return None


def steered(ids: dict[str, list[str]], tricky: list[str]) -> Callable[[HookContext, Any], Any]:
    """A hook for one part of a request (path, query, headers, body): each string in it stays
    as generated a third of the time; otherwise it becomes, if its name is that of an id, an
    id that exists (so the request reaches what lies behind finding it), or one of `tricky`."""

    def steer(context: HookContext, values: Any) -> Any:
        if not isinstance(values, dict):
            return st.just(values)
        choices = {
            name: st.sampled_from(_options(value, ids.get(name, []), tricky)).flatmap(
                lambda strategy: strategy
            )
            for name, value in values.items()
            if isinstance(value, str)
        }
        return st.fixed_dictionaries(choices).map(lambda chosen: {**values, **chosen})

    return steer


def _options(value: str, real: list[str], tricky: list[str]) -> list[st.SearchStrategy[str]]:
    """A third of the draws keep the value; the rest take a real id if there are any to take,
    else a tricky string."""
    if real:
        return [st.just(value), st.sampled_from(real), st.sampled_from(real + tricky)]
    return [st.just(value), st.sampled_from(tricky), st.sampled_from(tricky)]


@pytest.fixture(scope="module")
async def hall(kafka_bootstrap: str, redis_url: str) -> AsyncIterator[Hall]:
    extra = {"display": {"DISPLAY_HEARTBEAT_S": "1"}}
    async with own_hall(kafka_bootstrap, redis_url, extra, survey=True) as running:
        yield running


@pytest.fixture(scope="module")
async def real_ids(hall: Hall) -> dict[str, list[str]]:
    """Ids that exist in the hall: its counters and services, and three tickets."""
    async with httpx.AsyncClient(base_url=hall.urls["ticketing"], timeout=10) as api:
        catalog = (await api.get("/api/v1/catalog")).json()
        tickets = []
        for service in ("ktp-el", "kk", "paspor"):
            r = await api.post(
                "/api/v1/tickets",
                json={"service_id": service},
                headers={"Authorization": f"Bearer {CALLERS[1].kiosk_token}"},
            )
            assert r.status_code == 201, r.text
            tickets.append(r.json()["ticket_id"])
    return {
        "counter_id": [c["id"] for c in catalog["counters"]],
        "service_id": [s["id"] for s in catalog["services"]],
        "ticket_id": tickets,
    }


@pytest.fixture(params=SERVICES)
def document(request: pytest.FixtureRequest, hall: Hall) -> tuple[str, dict[str, Any]]:
    """A service's URL and the OpenAPI document it serves."""
    url = hall.urls[request.param]
    return url, httpx.get(f"{url}/openapi.json", timeout=10).raise_for_status().json()


@pytest.fixture
def api(document: tuple[str, dict[str, Any]], real_ids: dict[str, list[str]]) -> BaseSchema:
    schema = schemathesis.openapi.from_url(f"{document[0]}/openapi.json", config=fuzzing())
    for part in ("path_parameters", "query", "body"):
        schema.hook(f"flatmap_{part}")(steered(real_ids, TRICKY))
    schema.hook("flatmap_headers")(steered(real_ids, HEADER_TRICKY))
    return schema


@pytest.fixture(params=CALLERS, ids=lambda caller: caller.name)
def caller(request: pytest.FixtureRequest) -> Caller:
    who: Caller = request.param
    return who


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """Schemathesis 4.32.5's fixture-loaded tests read and rename `Node._nodeid`, which pytest
    9 no longer has (its node ids are structured): give it one to read. Only its subtests'
    names are built from it; pytest's own reports are unaffected."""
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
@pytest.mark.usefixtures("caller")  # the wrapper Schemathesis makes takes only `request`
def test_no_request_breaks_a_service_and_every_refusal_is_problem_json(
    case: Case[Any], caller: Caller
) -> None:
    response = case.call(headers=caller.headers(case))
    case.validate_response(response, checks=[not_a_server_error, problem_details])


def test_every_reference_in_the_openapi_document_resolves(
    document: tuple[str, dict[str, Any]],
) -> None:
    """A `$ref` to nothing breaks every client generated from the document, and Schemathesis
    then sends the operation no body at all: its fuzzing would test nothing but the 422."""
    _, doc = document
    refs = set(re.findall(r'"\$ref":\s*"#/([^"]+)"', orjson.dumps(doc).decode()))
    dangling = sorted(ref for ref in refs if not _resolves(doc, ref.split("/")))
    assert not dangling, f"the document refers to what it does not define: {dangling}"


def test_a_path_or_method_a_document_lacks_is_refused_with_a_problem(
    document: tuple[str, dict[str, Any]],
) -> None:
    url, doc = document
    tries = [("GET", "/api/v1/no-such-thing")] + [
        (method, re.sub(r"\{[^}]+\}", "x", path))
        for path, operations in doc["paths"].items()
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if method.lower() not in operations
    ]
    complaints = []
    for method, path in tries:
        r = httpx.request(method, f"{url}{path}", timeout=10)
        complaint = not_a_problem(r.status_code, r.headers.get("content-type", ""), r.content)
        if r.status_code < 400 or complaint:
            complaints.append(f"{method} {path}: {complaint or r.status_code}")
    assert not complaints, f"{len(complaints)} of {len(tries)}:\n" + "\n".join(complaints)


def _resolves(doc: Any, pointer: list[str]) -> bool:
    for part in pointer:
        if not isinstance(doc, dict) or part not in doc:
            return False
        doc = doc[part]
    return True
