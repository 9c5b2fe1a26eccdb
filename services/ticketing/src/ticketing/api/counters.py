"""Counter routes: an officer with a bearer token calls, serves, transfers, opens and closes.

The action routes parse their own body and token (deps.body_of, access.Access.officer): call-next is
the busiest request of a hall and FastAPI's dependency solving was a third of its time.
"""

from datetime import date
from typing import Any

from antre_contracts.catalog import Counter, Officer
from fastapi import APIRouter, Request, Response

from ticketing import metrics
from ticketing.api.deps import (
    IDEMPOTENCY_DOC,
    CounterDep,
    OfficerDep,
    Runtime,
    RuntimeDep,
    body_doc,
    body_of,
    idempotent_op,
    json_response,
    runtime,
)
from ticketing.api.problems import Problem
from ticketing.api.schemas import (
    ActionOut,
    BreakRequest,
    CallNextRequest,
    CallNumberRequest,
    FinishRequest,
    ParkRequest,
    StepRequest,
    TransferRequest,
)
from ticketing.api.tickets import ticket_view
from ticketing.domain.figures import summarise
from ticketing.store.queues import Call, QueueError
from ticketing.texts import CALL_REASONS, PARK_REASONS, STATE_LABELS, STATUS_LABELS

router = APIRouter(prefix="/api/v1/counters", tags=["counters"])
SIGNED_IN: dict[str, Any] = {"security": [{"officerToken": []}]}
BEARER: dict[str, Any] = {**SIGNED_IN, "parameters": [IDEMPOTENCY_DOC]}


def _refused(exc: QueueError, counter: Counter) -> Problem:
    info = exc.info
    state, status = info.pop("state", ""), info.pop("status", "")
    return Problem(
        exc.code,
        counter_name=counter.name,
        counter_id=counter.id,
        state=state,
        ticket_status=status,
        state_label=STATE_LABELS.get(state, state),
        status_label=STATUS_LABELS.get(status, status),
        **info,
    )


async def _officer(request: Request, counter_id: str) -> tuple[Runtime, Counter, Officer]:
    rt = runtime(request)
    counter = rt.catalog.counter_by_id.get(counter_id)
    if counter is None:
        raise Problem("unknown_counter", counter_id=counter_id)
    return rt, counter, await rt.access.officer(request, counter)


def _call(request: Request, rt: Runtime, counter: Counter) -> Call:
    """The operation's op id: from an `Idempotency-Key` (the console retries with the same key
    after a timeout or a 503, and the repeat answers as the first time), else a new one."""
    action = request.url.path.rsplit("/", 1)[-1]
    return rt.store.call(idempotent_op(request, f"{counter.id}/{action}"))


async def _run(
    request: Request, rt: Runtime, counter: Counter, fn: str, officer: str, **extra: Any
) -> dict[str, Any]:
    try:
        return await rt.store.act(fn, _call(request, rt, counter), counter, officer, **extra)
    except QueueError as exc:
        raise _refused(exc, counter) from None


def _done(counter: Counter, raw: dict[str, Any], detail: str, **more: Any) -> Response:
    fields = {"ticket_id": raw["ticket_id"], "number": raw["number"], **more}
    fields.setdefault("service_id", raw.get("service_id"))
    return json_response(ActionOut(counter_id=counter.id, detail=detail, **fields))


@router.get("/{counter_id}", openapi_extra=SIGNED_IN)
async def read_counter(counter: CounterDep, rt: RuntimeDep, _: OfficerDep) -> dict[str, Any]:
    """The counter's state and its current ticket, with its priority: for its officers only."""
    raw = await rt.store.counter(counter.id)
    ticket = await ticket_view(rt, raw["ticket"]) if raw.get("ticket") else None
    return {
        "counter_id": counter.id,
        "number": counter.number,
        "name": counter.name,
        "zone": counter.zone,
        "services": counter.services,
        "state": raw.get("state", "closed"),
        "reason": raw.get("reason") or None,
        "current_ticket": ticket.model_dump(mode="json") if ticket else None,
    }


@router.get("/{counter_id}/queues", openapi_extra=SIGNED_IN)
async def read_counter_queues(
    counter: CounterDep, rt: RuntimeDep, _: OfficerDep
) -> list[dict[str, Any]]:
    """Who waits for each of the counter's services, in call order (first 50), with ticket ids
    and priorities: for its officers only (the public listing carries numbers alone)."""
    listings = []
    for service_id in counter.services:
        raw = await rt.store.queue(service_id)
        listings.append(
            {
                "service_id": service_id,
                "service_name": rt.catalog.service_by_id[service_id].name,
                "waiting": raw["waiting"],
                "tickets": raw["tickets"] or [],  # Lua's {} is an empty list
            }
        )
    return listings


@router.get("/{counter_id}/session", openapi_extra=SIGNED_IN)
async def read_session(counter: CounterDep, officer: OfficerDep) -> dict[str, str]:
    """Check an officer's token for this counter at sign-in (a 401/403 problem otherwise)."""
    return {"counter_id": counter.id, "officer_id": officer.id, "officer_name": officer.name}


@router.post(
    "/{counter_id}/call-next",
    response_model=ActionOut,
    openapi_extra={**body_doc(CallNextRequest, required=False), **BEARER},
)
async def call_next(counter_id: str, request: Request) -> Response:
    """Call the next ticket across the counter's services, in their order of preference."""
    rt, counter, officer = await _officer(request, counter_id)
    only = (await body_of(request, CallNextRequest)).service_id
    if only is not None and only not in counter.services:
        raise Problem(
            "service_not_served",
            counter_name=counter.name,
            service_id=only,
            services=", ".join(counter.services),
        )
    try:
        raw = await rt.store.call_next(_call(request, rt, counter), counter, officer.id, only)
    except QueueError as exc:
        raise _refused(exc, counter) from None
    count_call(raw, officer.id)
    return _done(counter, raw, f"Nomor {raw['number']} dipanggil", how="next", out_of_order=False)


def count_call(raw: dict[str, Any], officer: str) -> None:
    """A first call's metrics (a replay counts nothing)."""
    if raw["replay"]:
        return
    how = raw.get("how", "next")
    if how in ("next", "number"):
        metrics.CALLS.labels(raw["service_id"]).inc()
        metrics.WAITING_TIME.labels(raw["service_id"]).observe(raw["waited_s"])
        metrics.OFFICER_TICKETS.labels(officer, "called").inc()
    else:
        metrics.OFFICER_TICKETS.labels(officer, "called_back").inc()
    if how != "next":
        out_of_order = "true" if raw.get("out_of_order") else "false"
        metrics.CHOSEN_CALLS.labels(raw["service_id"], how, out_of_order).inc()
        if raw.get("out_of_order"):
            metrics.OFFICER_TICKETS.labels(officer, "out_of_order").inc()


@router.post(
    "/{counter_id}/call-number",
    response_model=ActionOut,
    openapi_extra={**body_doc(CallNumberRequest), **BEARER},
)
async def call_number(counter_id: str, request: Request) -> Response:
    """Panggil nomor…: call a chosen ticket of the counter's services by its number, with a
    reason: a waiting one (out of order when call-next would have taken another), a parked
    one (called back), or today's no-show who came back. Its call event says who and why."""
    rt, counter, officer = await _officer(request, counter_id)
    body = await body_of(request, CallNumberRequest)
    try:
        raw = await rt.store.call_number(
            _call(request, rt, counter), counter, officer.id, body.number, body.reason
        )
    except QueueError as exc:
        raise _refused(exc, counter) from None
    count_call(raw, officer.id)
    said = f"Nomor {raw['number']} dipanggil ({CALL_REASONS[body.reason].lower()})"
    return _done(counter, raw, said, how=raw["how"], out_of_order=raw["out_of_order"])


@router.post(
    "/{counter_id}/park",
    response_model=ActionOut,
    openapi_extra={**body_doc(ParkRequest), **BEARER},
)
async def park(counter_id: str, request: Request) -> Response:
    """Parkir: the current ticket steps away with a reason and waits in its service's parked
    list (every counter of the service sees it) until called back by number; it keeps no place
    in the queue and expires at the day's end."""
    rt, counter, officer = await _officer(request, counter_id)
    reason = (await body_of(request, ParkRequest)).reason
    raw = await _run(request, rt, counter, "antre_park", officer.id, reason=reason)
    if not raw["replay"]:
        metrics.PARKED.labels(raw["service_id"], reason).inc()
        metrics.OFFICER_TICKETS.labels(officer.id, "parked").inc()
    said = f"Nomor {raw['number']} diparkir ({PARK_REASONS[reason].lower()})"
    return _done(counter, raw, said)


@router.get("/{counter_id}/parked", openapi_extra=SIGNED_IN)
async def read_parked(counter: CounterDep, rt: RuntimeDep, _: OfficerDep) -> list[dict[str, Any]]:
    """The parked tickets of the counter's services, oldest first, with their reasons."""
    tickets = await rt.store.parked(counter.services)
    for t in tickets:
        t["reason_label"] = PARK_REASONS.get(t.get("reason") or "", t.get("reason"))
        t["service_name"] = rt.catalog.service_by_id[t["service_id"]].name
    return tickets


@router.get("/{counter_id}/figures", openapi_extra=SIGNED_IN)
async def read_own_figures(
    counter: CounterDep, rt: RuntimeDep, officer: OfficerDep
) -> dict[str, Any]:
    """The signed-in officer's own figures for today (at every counter they worked)."""
    call = rt.store.call()
    day = date.fromisoformat(call.day)
    raw = await rt.store.figures(day, officer.id)
    return summarise(raw[0] if raw else {"officer_id": officer.id}, officer.name, day)


@router.post("/{counter_id}/recall", response_model=ActionOut, openapi_extra=BEARER)
async def recall(counter_id: str, request: Request) -> Response:
    """Call the current ticket again (the board and the voice repeat it)."""
    rt, counter, officer = await _officer(request, counter_id)
    raw = await _run(request, rt, counter, "antre_recall", officer.id)
    if not raw["replay"]:
        metrics.RECALLS.labels(raw["service_id"]).inc()
    return _done(counter, raw, f"Nomor {raw['number']} dipanggil ulang")


@router.post("/{counter_id}/start", response_model=ActionOut, openapi_extra=BEARER)
async def start(counter_id: str, request: Request) -> Response:
    """The visitor arrived: service starts."""
    rt, counter, officer = await _officer(request, counter_id)
    raw = await _run(request, rt, counter, "antre_start", officer.id)
    return _done(counter, raw, f"Nomor {raw['number']} mulai dilayani")


@router.post(
    "/{counter_id}/finish",
    response_model=ActionOut,
    openapi_extra={**body_doc(FinishRequest, required=False), **BEARER},
)
async def finish(counter_id: str, request: Request) -> Response:
    """Finish the current ticket: served, or no-show when the visitor never came."""
    rt, counter, officer = await _officer(request, counter_id)
    outcome = (await body_of(request, FinishRequest)).outcome.value
    raw = await _run(
        request, rt, counter, "antre_complete", officer.id, outcome=outcome,
        default_by=rt.store.default_s,
    )  # fmt: skip
    if not raw["replay"]:
        metrics.COMPLETIONS.labels(raw["service_id"], outcome).inc()
        metrics.OFFICER_TICKETS.labels(officer.id, outcome).inc()
        if raw.get("service_time_s") is not None:
            metrics.SERVICE_TIME.labels(raw["service_id"]).observe(raw["service_time_s"])
    said = "selesai dilayani" if outcome == "served" else "ditandai tidak hadir"
    nxt = rt.catalog.service_by_id.get(raw.get("next_service_id") or "")
    if nxt is not None:
        agency = rt.catalog.agency_by_id[nxt.agency].short_name
        said += f"; berikutnya ke {agency} ({nxt.name})"
    return _done(
        counter, raw, f"Nomor {raw['number']} {said}", next_service_id=nxt.id if nxt else None
    )


@router.post(
    "/{counter_id}/transfer",
    response_model=ActionOut,
    openapi_extra={**body_doc(TransferRequest), **BEARER},
)
async def transfer(counter_id: str, request: Request) -> Response:
    """Send the current ticket to another service; it keeps its number and its place."""
    rt, counter, officer = await _officer(request, counter_id)
    body = await body_of(request, TransferRequest)
    target = rt.catalog.service_by_id.get(body.service_id)
    if target is None:
        raise Problem("unknown_service", service_id=body.service_id)
    raw = await _run(
        request,
        rt,
        counter,
        "antre_transfer",
        officer.id,
        to=target.id,
        default_s=rt.store.default_s[target.id],
    )
    if not raw["replay"]:
        metrics.TRANSFERS.labels(raw["from_service_id"]).inc()
        metrics.OFFICER_TICKETS.labels(officer.id, "transferred").inc()
    return _done(
        counter, raw, f"Nomor {raw['number']} dialihkan ke {target.name}", service_id=target.id
    )


async def _step(request: Request, counter_id: str, fn: str) -> Response:
    rt, counter, officer = await _officer(request, counter_id)
    body = await body_of(request, StepRequest)
    target = rt.catalog.service_by_id.get(body.service_id)
    if target is None:
        raise Problem("unknown_service", service_id=body.service_id)
    agencies = {s.id: s.agency for s in rt.catalog.services}
    max_steps = rt.catalog.rules.max_visit_steps
    raw = await _run(
        request, rt, counter, fn, officer.id, service=target.id, agencies=agencies,
        max_steps=max_steps,
    )  # fmt: skip
    if fn == "antre_add_step":
        detail = f"Nomor {raw['number']}: {target.name} ditambahkan ke kunjungan"
    else:
        detail = f"Nomor {raw['number']}: {target.name} dihapus dari kunjungan"
    return _done(counter, raw, detail, visit=raw["visit"])


@router.post(
    "/{counter_id}/visit/add",
    response_model=ActionOut,
    openapi_extra={**body_doc(StepRequest), **BEARER},
)
async def add_step(counter_id: str, request: Request) -> Response:
    """Add a service at another agency to the current ticket's visit: when this step is
    served, the ticket joins that queue with its number and its arrival time."""
    return await _step(request, counter_id, "antre_add_step")


@router.post(
    "/{counter_id}/visit/remove",
    response_model=ActionOut,
    openapi_extra={**body_doc(StepRequest), **BEARER},
)
async def remove_step(counter_id: str, request: Request) -> Response:
    """Remove a step still to come from the current ticket's visit."""
    return await _step(request, counter_id, "antre_remove_step")


async def _set_state(request: Request, counter_id: str, state: str, reason: str | None) -> Response:
    rt, counter, officer = await _officer(request, counter_id)
    try:
        await rt.store.set_state(_call(request, rt, counter), counter, officer.id, state, reason)
    except QueueError as exc:
        raise _refused(exc, counter) from None
    label = STATE_LABELS[state] + (f" ({reason})" if reason else "")
    return json_response(
        ActionOut(counter_id=counter.id, state=state, detail=f"{counter.name} {label}")
    )


@router.post("/{counter_id}/open", response_model=ActionOut, openapi_extra=BEARER)
async def open_counter(counter_id: str, request: Request) -> Response:
    """Open the counter: it takes calls and counts in the estimates."""
    return await _set_state(request, counter_id, "open", None)


@router.post(
    "/{counter_id}/break",
    response_model=ActionOut,
    openapi_extra={**body_doc(BreakRequest, required=False), **BEARER},
)
async def break_counter(counter_id: str, request: Request) -> Response:
    """A break with a reason (istirahat, salat, …); no calls until it opens again."""
    reason = (await body_of(request, BreakRequest)).reason
    return await _set_state(request, counter_id, "break", reason)


@router.post("/{counter_id}/close", response_model=ActionOut, openapi_extra=BEARER)
async def close_counter(counter_id: str, request: Request) -> Response:
    """Close the counter for the day (only with no ticket in progress)."""
    return await _set_state(request, counter_id, "closed", None)
