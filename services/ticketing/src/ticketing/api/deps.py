"""What routes receive by name: the store, the catalog, the signed-in officer."""

import hashlib
from dataclasses import dataclass
from typing import Annotated

from antre_contracts import Catalog
from antre_contracts.catalog import Counter, Officer
from fastapi import Depends, Header, Request

from ticketing.api.problems import Problem
from ticketing.store.queues import QueueStore


@dataclass
class Runtime:
    """Everything the routes use, built once by create_app."""

    catalog: Catalog
    store: QueueStore
    officers_by_token_hash: dict[str, Officer]
    enforce_hours: bool


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(runtime)]


def counter_of(counter_id: str, rt: RuntimeDep) -> Counter:
    counter = rt.catalog.counter_by_id.get(counter_id)
    if counter is None:
        raise Problem("unknown_counter", counter_id=counter_id)
    return counter


CounterDep = Annotated[Counter, Depends(counter_of)]


def officer_at(
    counter: CounterDep, rt: RuntimeDep, authorization: Annotated[str | None, Header()] = None
) -> Officer:
    """The officer behind the bearer token, if assigned to this counter."""
    bearer = {"WWW-Authenticate": 'Bearer realm="antre"'}
    if not authorization:
        raise Problem("missing_token", headers=bearer)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem("missing_token", headers=bearer)
    officer = rt.officers_by_token_hash.get(hashlib.sha256(token.strip().encode()).hexdigest())
    if officer is None:
        raise Problem("invalid_token", headers=bearer)
    if counter.id not in officer.counters:
        raise Problem("officer_not_allowed", officer_id=officer.id, counter_name=counter.name)
    return officer


OfficerDep = Annotated[Officer, Depends(officer_at)]
