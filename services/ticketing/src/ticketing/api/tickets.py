"""Public ticket routes: issue a ticket (kiosk, web), read a ticket and a queue."""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from antre_contracts.catalog import Service
from fastapi import APIRouter, Request, Response

from ticketing import metrics
from ticketing.api.deps import (
    IDEMPOTENCY_DOC,
    RuntimeDep,
    body_doc,
    body_of,
    idempotent_op,
    json_response,
    runtime,
)
from ticketing.api.problems import Problem
from ticketing.api.schemas import IssueRequest, QueueOut, TicketOut, VisitStep
from ticketing.domain.rules import hours_refusal, normalise_phone, visit_refusal
from ticketing.store.queues import QueueError

router = APIRouter(prefix="/api/v1", tags=["tickets"])


def service_of(rt: RuntimeDep, service_id: str) -> Service:
    service = rt.catalog.service_by_id.get(service_id)
    if service is None:
        raise Problem("unknown_service", service_id=service_id)
    return service


def ticket_out(rt: RuntimeDep, raw: dict[str, Any], service: Service) -> TicketOut:
    wait = raw.get("estimated_wait_s")
    at = raw.get("issued_at")
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at is not None:
        at = at.astimezone(rt.catalog.site.tz)  # the site's time, as the pages show it
    counter = rt.catalog.counter_by_id.get(raw.get("counter") or "")
    return TicketOut(
        ticket_id=raw["ticket_id"],
        number=raw["number"],
        service_id=service.id,
        service_name=service.name,
        agency_name=rt.catalog.agency_by_id[service.agency].short_name,
        priority=raw.get("priority"),
        status=raw.get("status", "waiting"),
        people_ahead=raw.get("people_ahead"),
        estimated_wait_s=wait,
        estimated_call_at=_call_at(rt, wait),
        issued_at=at,
        counter_id=counter.id if counter else None,
        counter_name=counter.name if counter else None,
        call_count=raw.get("call_count"),
        status_url=f"/t/{raw['ticket_id']}",
        visit=visit_out(rt, raw.get("visit") or [], int(raw.get("step") or 1)),
    )


def visit_out(rt: RuntimeDep, services: list[str] | str, step: int) -> list[VisitStep]:
    """Every step of a visit across agencies with its state (none for a one-service ticket)."""
    if isinstance(services, str):
        services = orjson.loads(services)
    out = []
    for i, service_id in enumerate(services, start=1):
        service = rt.catalog.service_by_id.get(service_id)
        if service is None:
            continue
        zone = next((z.name for z in rt.catalog.zones if z.id == service.zone), service.zone)
        out.append(
            VisitStep(
                service_id=service.id,
                service_name=service.name,
                agency_name=rt.catalog.agency_by_id[service.agency].short_name,
                zone_name=zone,
                state="done" if i < step else "current" if i == step else "next",
            )
        )
    return out if len(out) > 1 else []


def _call_at(rt: RuntimeDep, wait_s: int | None) -> datetime | None:
    if wait_s is None:
        return None
    return (rt.store.clock.now() + timedelta(seconds=wait_s)).astimezone(rt.catalog.site.tz)


@router.post(
    "/tickets",
    status_code=201,
    response_model=TicketOut,
    openapi_extra={**body_doc(IssueRequest), "parameters": [IDEMPOTENCY_DOC]},
)
async def issue_ticket(request: Request) -> Response:
    """Issue a ticket; with an Idempotency-Key, a repeat returns the same ticket."""
    rt = runtime(request)
    body = await body_of(request, IssueRequest)
    issuer = await rt.access.issuer(request, body.channel.value if body.channel else None)
    op = idempotent_op(request, "tickets")
    service = service_of(rt, body.service_id)
    call = rt.store.call(op)
    if rt.enforce_hours:
        refusal = hours_refusal(rt.catalog.site, service, call.at)
        if refusal is not None:
            raise Problem(
                refusal.code,
                service_name=service.name,
                hours=refusal.detail,
                last_ticket=f"{service.last_ticket:%H.%M}" if service.last_ticket else "",
                tz=rt.catalog.site.timezone_label,
            )
    if body.then:
        refused = visit_refusal(rt.catalog, [service.id, *body.then])
        if refused is not None:
            raise Problem(
                refused.code, service_id=refused.detail, max_steps=rt.catalog.rules.max_visit_steps
            )
    phone = None
    if body.phone:
        try:
            phone = request.app.state.cipher.encrypt(normalise_phone(body.phone))
        except ValueError:
            raise Problem("invalid_phone") from None  # never echo a phone number
    fingerprint = None
    if op is not None:  # only a keyed request is compared with its replay
        dump = body.model_dump(mode="json")
        if not dump["then"]:  # one service: the fingerprint as before visits existed
            del dump["then"]
        canonical = orjson.dumps(dump, option=orjson.OPT_SORT_KEYS)
        # Keyed: the body holds the phone in clear, and a plain hash kept a day could be
        # reversed by trying every number.
        fingerprint = rt.access.keyed(canonical)
    try:
        raw = await rt.store.issue(
            call,
            service.id,
            body.priority.value,
            issuer.channel,
            issuer.public,
            phone,
            fingerprint,
            body.then,
        )
    except QueueError as exc:
        raise Problem(exc.code, service_name=service.name, **exc.info) from None
    if not raw["replay"]:
        metrics.TICKETS_ISSUED.labels(
            service.agency, service.id, body.priority.value, issuer.channel
        ).inc()
    visit = [service.id, *body.then] if body.then else []
    out = ticket_out(rt, {**raw, "priority": body.priority.value, "visit": visit}, service)
    return json_response(out, 201, Location=f"/api/v1/tickets/{raw['ticket_id']}")


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
async def read_ticket(ticket_id: str, request: Request, rt: RuntimeDep) -> TicketOut:
    """A ticket's status, people ahead and estimate (or the counter that called it). An
    address that asks for too many unknown tickets is refused for a while (429)."""
    await rt.access.lookup_allowed(request)
    try:
        return await ticket_view(rt, ticket_id)
    except Problem as problem:
        if problem.code == "unknown_ticket":
            await rt.access.lookup_missed(request)
        raise


async def ticket_view(rt: RuntimeDep, ticket_id: str) -> TicketOut:
    """The public view of a stored ticket (its phone never leaves Redis)."""
    try:
        raw = await rt.store.ticket(ticket_id)
    except QueueError:
        raise Problem("unknown_ticket", ticket_id=ticket_id) from None
    status = raw["status"]
    if status == "waiting" and raw["day"] != rt.store.call().day:
        status = "expired"
    raw.update(
        ticket_id=raw["id"],
        number=raw["num"],
        priority=raw["prio"],
        status=status,
        call_count=int(raw.get("calls", 0)) or None,
        issued_at=datetime.fromtimestamp(int(raw["issued"]) / 1000, UTC),
    )
    return ticket_out(rt, raw, rt.catalog.service_by_id[raw["svc"]])


@router.get("/queues/{service_id}", response_model=QueueOut)
async def read_queue(service_id: str, rt: RuntimeDep) -> QueueOut:
    """Who waits for a service, in the order they will be called (first 50): numbers only,
    never ticket ids (the status link) nor priorities (disability, pregnancy)."""
    service = service_of(rt, service_id)
    raw = await rt.store.queue(service.id)
    return QueueOut(
        service_id=service.id,
        service_name=service.name,
        waiting=raw["waiting"],
        numbers=[t["number"] for t in raw["tickets"] or []],  # Lua's {} is an empty list
    )
