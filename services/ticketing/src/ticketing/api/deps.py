"""What routes receive by name: the store, the catalog, the access checks, the officer."""

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from antre_contracts import Catalog
from antre_contracts.catalog import Counter, Officer
from fastapi import Depends, Request, Response
from pydantic import BaseModel, ValidationError

from ticketing.api.access import Access
from ticketing.api.problems import Problem, invalid_body
from ticketing.store.queues import QueueStore

M = TypeVar("M", bound=BaseModel)


@dataclass
class Runtime:
    """Everything the routes use, built once by create_app."""

    catalog: Catalog
    store: QueueStore
    access: Access
    enforce_hours: bool


IDEMPOTENCY_DOC = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Repeating a request with the same key answers as the first time and changes"
    " nothing (one ticket, one call): retry with it after a timeout or a 503",
}


def idempotent_op(request: Request, scope: str) -> str | None:
    """The op id an `Idempotency-Key` makes for this kind of request (None without one)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not 0 < len(key) <= 255:
        raise Problem("validation_error", errors="Idempotency-Key: 1 sampai 255 karakter")
    return "idem:" + hashlib.sha256(f"{scope}|{key}".encode()).hexdigest()


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


async def officer_at(request: Request, counter: CounterDep, rt: RuntimeDep) -> Officer:
    """The officer behind the bearer token, if assigned to this counter."""
    return await rt.access.officer(request, counter)


OfficerDep = Annotated[Officer, Depends(officer_at)]


async def body_of(request: Request, model: type[M]) -> M:
    """Parse a JSON body by hand: the hot routes skip FastAPI's dependency solving (a third of
    their time here); an empty body means the model's defaults."""
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise invalid_body(exc.errors()) from None


def body_doc(model: type[BaseModel], required: bool = True) -> dict[str, Any]:
    """OpenAPI for a body parsed with body_of (FastAPI cannot see it)."""
    schema = model.model_json_schema(ref_template="{model}")
    defs = schema.pop("$defs", {})
    content = {"application/json": {"schema": _inline(schema, defs)}}
    return {"requestBody": {"content": content, "required": required}}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with each `$ref` to its own definitions replaced by the definition (enums
    here): OpenAPI has no `$defs`, and a dangling ref left the body undocumented."""
    if isinstance(node, dict):
        if node.get("$ref") in defs:  # with siblings such as its default
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline({**defs[node["$ref"]], **rest}, defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def json_response(model: BaseModel, status: int = 200, **headers: str) -> Response:
    return Response(model.model_dump_json(), status, headers, media_type="application/json")
