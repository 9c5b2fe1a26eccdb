"""Counter routes: an officer with a bearer token calls, serves, transfers, opens and closes."""

from typing import Any

from antre_contracts.catalog import Counter
from fastapi import APIRouter

from ticketing import metrics
from ticketing.api.deps import CounterDep, OfficerDep, RuntimeDep
from ticketing.api.problems import Problem
from ticketing.api.schemas import (
    ActionOut,
    BreakRequest,
    CallNextRequest,
    FinishRequest,
    TransferRequest,
)
from ticketing.api.tickets import ticket_view
from ticketing.store.queues import QueueError
from ticketing.texts import STATE_LABELS, STATUS_LABELS

router = APIRouter(prefix="/api/v1/counters", tags=["counters"])


def _refused(exc: QueueError, counter: Counter) -> Problem:
    info = exc.info
    return Problem(
        exc.code,
        counter_name=counter.name,
        counter_id=counter.id,
        state_label=STATE_LABELS.get(info.get("state", ""), info.get("state", "")),
        status_label=STATUS_LABELS.get(info.get("status", ""), info.get("status", "")),
        **info,
    )


async def _run(
    rt: RuntimeDep, counter: Counter, fn: str, officer: str, **extra: Any
) -> dict[str, Any]:
    try:
        return await rt.store.act(fn, rt.store.call(), counter, officer, **extra)
    except QueueError as exc:
        raise _refused(exc, counter) from None


@router.get("/{counter_id}")
async def read_counter(counter: CounterDep, rt: RuntimeDep) -> dict[str, Any]:
    """The counter's state and its current ticket."""
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


@router.get("/{counter_id}/session")
async def read_session(counter: CounterDep, officer: OfficerDep) -> dict[str, str]:
    """Check an officer's token for this counter at sign-in (a 401/403 problem otherwise)."""
    return {"counter_id": counter.id, "officer_id": officer.id, "officer_name": officer.name}


@router.post("/{counter_id}/call-next", response_model=ActionOut)
async def call_next(
    counter: CounterDep, officer: OfficerDep, rt: RuntimeDep, body: CallNextRequest | None = None
) -> ActionOut:
    """Call the next ticket across the counter's services, in their order of preference."""
    only = body.service_id if body else None
    if only is not None and only not in counter.services:
        raise Problem(
            "service_not_served",
            counter_name=counter.name,
            service_id=only,
            services=", ".join(counter.services),
        )
    try:
        raw = await rt.store.call_next(rt.store.call(), counter, officer.id, only)
    except QueueError as exc:
        raise _refused(exc, counter) from None
    if not raw["replay"]:
        metrics.CALLS.labels(raw["service_id"]).inc()
        metrics.WAITING_TIME.labels(raw["service_id"]).observe(raw["waited_s"])
    return ActionOut(
        counter_id=counter.id,
        ticket_id=raw["ticket_id"],
        number=raw["number"],
        service_id=raw["service_id"],
        detail=f"Nomor {raw['number']} dipanggil",
    )


@router.post("/{counter_id}/recall", response_model=ActionOut)
async def recall(counter: CounterDep, officer: OfficerDep, rt: RuntimeDep) -> ActionOut:
    """Call the current ticket again (the board and the voice repeat it)."""
    raw = await _run(rt, counter, "antre_recall", officer.id)
    if not raw["replay"]:
        metrics.RECALLS.labels(raw["service_id"]).inc()
    return ActionOut(
        counter_id=counter.id,
        ticket_id=raw["ticket_id"],
        number=raw["number"],
        service_id=raw["service_id"],
        detail=f"Nomor {raw['number']} dipanggil ulang",
    )


@router.post("/{counter_id}/start", response_model=ActionOut)
async def start(counter: CounterDep, officer: OfficerDep, rt: RuntimeDep) -> ActionOut:
    """The visitor arrived: service starts."""
    raw = await _run(rt, counter, "antre_start", officer.id)
    return ActionOut(
        counter_id=counter.id,
        ticket_id=raw["ticket_id"],
        number=raw["number"],
        service_id=raw["service_id"],
        detail=f"Nomor {raw['number']} mulai dilayani",
    )


@router.post("/{counter_id}/finish", response_model=ActionOut)
async def finish(
    counter: CounterDep, officer: OfficerDep, rt: RuntimeDep, body: FinishRequest | None = None
) -> ActionOut:
    """Finish the current ticket: served, or no-show when the visitor never came."""
    outcome = (body or FinishRequest()).outcome.value
    raw = await _run(rt, counter, "antre_complete", officer.id, outcome=outcome)
    if not raw["replay"]:
        metrics.COMPLETIONS.labels(raw["service_id"], outcome).inc()
        if raw.get("service_time_s") is not None:
            metrics.SERVICE_TIME.labels(raw["service_id"]).observe(raw["service_time_s"])
    said = "selesai dilayani" if outcome == "served" else "ditandai tidak hadir"
    return ActionOut(
        counter_id=counter.id,
        ticket_id=raw["ticket_id"],
        number=raw["number"],
        service_id=raw["service_id"],
        detail=f"Nomor {raw['number']} {said}",
    )


@router.post("/{counter_id}/transfer", response_model=ActionOut)
async def transfer(
    body: TransferRequest, counter: CounterDep, officer: OfficerDep, rt: RuntimeDep
) -> ActionOut:
    """Send the current ticket to another service; it keeps its number and its place."""
    target = rt.catalog.service_by_id.get(body.service_id)
    if target is None:
        raise Problem("unknown_service", service_id=body.service_id)
    raw = await _run(
        rt,
        counter,
        "antre_transfer",
        officer.id,
        to=target.id,
        default_s=rt.store.default_s[target.id],
    )
    if not raw["replay"]:
        metrics.TRANSFERS.labels(raw["from_service_id"]).inc()
    return ActionOut(
        counter_id=counter.id,
        ticket_id=raw["ticket_id"],
        number=raw["number"],
        service_id=target.id,
        detail=f"Nomor {raw['number']} dialihkan ke {target.name}",
    )


async def _set_state(
    rt: RuntimeDep, counter: Counter, officer: str, state: str, reason: str | None
) -> ActionOut:
    try:
        await rt.store.set_state(rt.store.call(), counter, officer, state, reason)
    except QueueError as exc:
        raise _refused(exc, counter) from None
    label = STATE_LABELS[state] + (f" ({reason})" if reason else "")
    return ActionOut(counter_id=counter.id, state=state, detail=f"{counter.name} {label}")


@router.post("/{counter_id}/open", response_model=ActionOut)
async def open_counter(counter: CounterDep, officer: OfficerDep, rt: RuntimeDep) -> ActionOut:
    """Open the counter: it takes calls and counts in the estimates."""
    return await _set_state(rt, counter, officer.id, "open", None)


@router.post("/{counter_id}/break", response_model=ActionOut)
async def break_counter(
    counter: CounterDep, officer: OfficerDep, rt: RuntimeDep, body: BreakRequest | None = None
) -> ActionOut:
    """A break with a reason (istirahat, salat, …); no calls until it opens again."""
    return await _set_state(rt, counter, officer.id, "break", (body or BreakRequest()).reason)


@router.post("/{counter_id}/close", response_model=ActionOut)
async def close_counter(counter: CounterDep, officer: OfficerDep, rt: RuntimeDep) -> ActionOut:
    """Close the counter for the day (only with no ticket in progress)."""
    return await _set_state(rt, counter, officer.id, "closed", None)
