"""Online booking (antrean daring): slots, book, read, move, cancel, and check-in at a kiosk.

The rules of days, slots and windows are in domain/slots.py; the counting in queue.lua. A
booking's code is its visitor's only credential (no NIK, no name): 8 characters from an
alphabet without look-alikes (40 bits), and an address that asks for too many unknown codes is
refused for a while, as for ticket lookups.
"""

import io
import re
import secrets
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import orjson
import segno
from antre_contracts.catalog import Service
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

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
from ticketing.api.schemas import TicketOut, _Body
from ticketing.api.tickets import service_of, ticket_out, ticket_view
from ticketing.domain import slots as rules
from ticketing.domain.rules import normalise_phone
from ticketing.store.queues import QueueError
from ticketing.texts import BOOKING_STATUS_LABELS

router = APIRouter(prefix="/api/v1", tags=["bookings"])

CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY3479"
"""No 0/O, 1/I/L, 2/Z, 5/S, 6/G? (G kept), 8/B: what a visitor reads off a phone and types."""
CODE_LENGTH = 8
_CODE_INPUT = re.compile(r"[^A-Z0-9]")
Code = Annotated[str, Path(min_length=1, max_length=32)]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """What a visitor or a scanner typed, as stored: upper case, no dashes or spaces."""
    return _CODE_INPUT.sub("", raw.upper())


def shown(code: str) -> str:
    """'K7PM3QXA' as the pages and SMS show it: 'K7PM-3QXA'."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


class BookRequest(_Body):
    service_id: str = Field(examples=["ktp-el"])
    day: date = Field(description="The site's local day of the slot")
    slot: str = Field(pattern=r"^\d{2}[.:]\d{2}$", examples=["09.30"], description="Slot start")
    phone: str | None = Field(
        default=None,
        max_length=32,
        description="Optional mobile number: a confirmation SMS and a reminder the day before",
        examples=["0812 3456 7890"],
    )


class MoveRequest(_Body):
    day: date
    slot: str = Field(pattern=r"^\d{2}[.:]\d{2}$", examples=["10.00"])


class SlotOut(BaseModel):
    slot: str = Field(examples=["09.30"])
    start: datetime
    end: datetime
    capacity: int
    free: int


class SlotsOut(BaseModel):
    service_id: str
    service_name: str
    day: date
    slots: list[SlotOut]


class BookableService(BaseModel):
    id: str
    name: str
    agency_id: str
    agency_name: str
    slot_minutes: int


class BookingOptions(BaseModel):
    days: list[date] = Field(description="Days that can be booked now")
    services: list[BookableService]
    checkin_early_minutes: int
    checkin_grace_minutes: int


class BookingOut(BaseModel):
    code: str = Field(examples=["K7PM-3QXA"], description="The visitor's credential: keep it")
    service_id: str
    service_name: str
    agency_name: str
    day: date
    slot: str
    slot_start: datetime
    slot_end: datetime
    checkin_opens: datetime
    checkin_closes: datetime
    status: str = Field(examples=["booked"])
    status_label: str
    ticket_id: str | None = None
    number: str | None = None
    qr_url: str


class CheckInOut(BaseModel):
    late: bool = Field(description="True: past the window, so the ticket is a walk-in's")
    booking: BookingOut
    ticket: TicketOut


def _service(rt: RuntimeDep, service_id: str) -> Service:
    service = service_of(rt, service_id)
    if not rules.bookable(service):
        raise Problem("not_bookable", service_name=service.name)
    return service


def _slot(rt: RuntimeDep, service: Service, day: date, label: str) -> rules.Slot:
    now = rt.store.clock.now()
    if not rules.day_open(rt.catalog, now, day):
        b = rt.catalog.booking
        raise Problem(
            "booking_day_closed",
            day=day.isoformat(),
            days_ahead=b.days_ahead,
            closes_at=f"{b.closes_at:%H.%M}",
        )
    slot = rules.slot_at(rt.catalog, service, day, label)
    if slot is None:
        raise Problem("unknown_slot", slot=label, day=day.isoformat(), service_name=service.name)
    return slot


def booking_out(rt: RuntimeDep, raw: dict[str, Any]) -> BookingOut:
    service = rt.catalog.service_by_id[raw["service_id"]]
    tz = rt.catalog.site.tz
    start = datetime.fromisoformat(raw["slot_start"]).astimezone(tz)
    b = rt.catalog.booking
    return BookingOut(
        code=shown(raw["booking_code"]),
        service_id=service.id,
        service_name=service.name,
        agency_name=rt.catalog.agency_by_id[service.agency].short_name,
        day=date.fromisoformat(raw["service_day"]),
        slot=raw["slot"],
        slot_start=start,
        slot_end=datetime.fromisoformat(raw["slot_end"]).astimezone(tz),
        checkin_opens=start - timedelta(minutes=b.checkin_early_minutes),
        checkin_closes=start + timedelta(minutes=b.checkin_grace_minutes),
        status=raw["status"],
        status_label=BOOKING_STATUS_LABELS.get(raw["status"], raw["status"]),
        ticket_id=raw.get("ticket_id") or None,
        number=raw.get("number") or None,
        qr_url=f"/api/v1/bookings/{raw['booking_code']}/qr.svg",
    )


def _refused(rt: RuntimeDep, exc: QueueError, code: str, **more: Any) -> Problem:
    """The problem for a refusal of the booking script, its fields as the texts name them."""
    info: dict[str, Any] = {**exc.info, **more, "booking_code": shown(code)}
    opens_ms = info.pop("opens_ms", None)
    if opens_ms is not None:
        info["opens"] = f"{datetime.fromtimestamp(opens_ms / 1000, rt.catalog.site.tz):%H.%M}"
    return Problem(exc.code, **info)


@router.get("/booking/options", response_model=BookingOptions)
async def booking_options(rt: RuntimeDep) -> BookingOptions:
    """What can be booked now: the days, and the services with online booking."""
    services = [
        BookableService(
            id=s.id,
            name=s.name,
            agency_id=s.agency,
            agency_name=rt.catalog.agency_by_id[s.agency].short_name,
            slot_minutes=s.slot_minutes or 0,
        )
        for s in rt.catalog.services
        if rules.bookable(s)
    ]
    b = rt.catalog.booking
    return BookingOptions(
        days=rules.booking_days(rt.catalog, rt.store.clock.now()),
        services=services,
        checkin_early_minutes=b.checkin_early_minutes,
        checkin_grace_minutes=b.checkin_grace_minutes,
    )


@router.get("/booking/slots", response_model=SlotsOut)
async def booking_slots(
    rt: RuntimeDep,
    service_id: Annotated[str, Query(max_length=64)],
    day: Annotated[date, Query()],
) -> SlotsOut:
    """A day's slots of a service with the places still free (0 on a full day)."""
    service = _service(rt, service_id)
    day_slots = rules.slots(rt.catalog, service, day)
    booked = await rt.store.booked(service.id, day) if day_slots else {}
    day_left = service.booking_quota - booked.get("day", 0)
    out = [
        SlotOut(
            slot=s.label,
            start=s.start,
            end=s.end,
            capacity=s.capacity,
            free=max(0, min(s.capacity - booked.get(s.label, 0), day_left)),
        )
        for s in day_slots
    ]
    return SlotsOut(service_id=service.id, service_name=service.name, day=day, slots=out)


@router.post(
    "/bookings",
    status_code=201,
    response_model=BookingOut,
    openapi_extra={**body_doc(BookRequest), "parameters": [IDEMPOTENCY_DOC]},
)
async def book(request: Request) -> Response:
    """Book a slot (the public channel's rate limits apply). With an Idempotency-Key a repeat
    answers the same booking."""
    rt = runtime(request)
    body = await body_of(request, BookRequest)
    await rt.access.issuer(request, "web")
    service = _service(rt, body.service_id)
    slot = _slot(rt, service, body.day, body.slot)
    phone = phone_key = None
    if body.phone:
        try:
            e164 = normalise_phone(body.phone)
        except ValueError:
            raise Problem("invalid_phone") from None
        phone = request.app.state.cipher.encrypt(e164)
        phone_key = rt.access.keyed(f"phone|{e164}".encode())
    op = idempotent_op(request, "bookings")
    fingerprint = None
    if op is not None:
        canonical = orjson.dumps(body.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        fingerprint = rt.access.keyed(canonical)
    for _ in range(5):  # a drawn code already in use: draw again (40 bits: hardly ever)
        code = new_code()
        try:
            raw = await rt.store.book(
                rt.store.call(op), service.id, slot, code, phone, phone_key, fingerprint
            )
            break
        except QueueError as exc:
            if exc.code != "code_taken":
                raise _refused(rt, exc, code, service_name=service.name) from None
    else:
        raise Problem("internal_error")
    if not raw["replay"]:
        metrics.BOOKINGS.labels(service.id, "created").inc()
    out = booking_out(rt, raw)
    return json_response(out, 201, Location=f"/api/v1/bookings/{raw['booking_code']}")


async def _booking(request: Request, rt: RuntimeDep, raw_code: str) -> dict[str, Any]:
    """A stored booking by the code typed; unknown codes count against the address."""
    await rt.access.lookup_allowed(request)
    code = normalise_code(raw_code)
    try:
        if len(code) != CODE_LENGTH:
            raise QueueError("unknown_booking", {})
        return await rt.store.booking(code)
    except QueueError:
        await rt.access.lookup_missed(request)
        raise Problem("unknown_booking", booking_code=raw_code[:32]) from None


@router.get("/bookings/{code}", response_model=BookingOut)
async def read_booking(code: Code, request: Request, rt: RuntimeDep) -> BookingOut:
    """A booking by its code."""
    return booking_out(rt, await _booking(request, rt, code))


@router.get("/bookings/{code}/qr.svg")
async def booking_qr(code: Code, request: Request, rt: RuntimeDep) -> Response:
    """The booking's QR code (SVG): it holds the code, which the kiosk's scanner types."""
    raw = await _booking(request, rt, code)
    buf = io.BytesIO()
    segno.make(raw["booking_code"], error="m").save(
        buf, kind="svg", border=2, omitsize=True, xmldecl=False, dark="#000"
    )
    return Response(buf.getvalue(), media_type="image/svg+xml")


@router.delete("/bookings/{code}", response_model=BookingOut)
async def cancel_booking(code: Code, request: Request, rt: RuntimeDep) -> BookingOut:
    """Cancel before the slot begins; the place is free again."""
    raw = await _booking(request, rt, code)
    try:
        done = await rt.store.cancel_booking(rt.store.call(), raw["booking_code"])
    except QueueError as exc:
        raise _refused(rt, exc, raw["booking_code"], slot=raw["slot"]) from None
    if not done["replay"]:
        metrics.BOOKINGS.labels(raw["service_id"], "cancelled").inc()
    return booking_out(rt, done)


@router.post(
    "/bookings/{code}/move", response_model=BookingOut, openapi_extra=body_doc(MoveRequest)
)
async def move_booking(code: Code, request: Request) -> BookingOut:
    """Move to another slot of the same service, before the booked slot begins."""
    rt = runtime(request)
    body = await body_of(request, MoveRequest)
    raw = await _booking(request, rt, code)
    service = _service(rt, raw["service_id"])
    slot = _slot(rt, service, body.day, body.slot)
    try:
        done = await rt.store.move_booking(rt.store.call(), raw["booking_code"], service.id, slot)
    except QueueError as exc:
        raise _refused(rt, exc, raw["booking_code"], slot=slot.label) from None
    if not done["replay"]:
        metrics.BOOKINGS.labels(service.id, "moved").inc()
    return booking_out(rt, done)


@router.post(
    "/bookings/{code}/check-in",
    status_code=201,
    response_model=CheckInOut,
    openapi_extra={"parameters": [IDEMPOTENCY_DOC]},
)
async def check_in(code: Code, request: Request) -> Response:
    """At a kiosk (its token): within the window, a ticket called from the slot's time before
    walk-ins who came later; past it, a walk-in's ticket (`late`), as the kiosk then says. A
    repeat answers the same ticket."""
    rt = runtime(request)
    await rt.access.issuer(request, "kiosk")
    raw = await _booking(request, rt, code)
    call = rt.store.call(idempotent_op(request, "check-in"))
    try:
        done = await rt.store.check_in(call, raw["booking_code"], raw["service_id"])
    except QueueError as exc:
        raise _refused(rt, exc, raw["booking_code"]) from None
    service = rt.catalog.service_by_id[raw["service_id"]]
    if done.get("late"):
        walk_in = rt.store.call(f"{call.op}/walk-in")
        try:
            ticket = await rt.store.issue(
                walk_in, service.id, "regular", "kiosk", False, None, None
            )
        except QueueError as exc:
            raise Problem(exc.code, service_name=service.name, **exc.info) from None
        if not ticket["replay"]:
            metrics.TICKETS_ISSUED.labels(service.agency, service.id, "regular", "kiosk").inc()
            metrics.BOOKINGS.labels(service.id, "late").inc()
        after = await rt.store.booking(raw["booking_code"])
        out = CheckInOut(
            late=True,
            booking=booking_out(rt, after),
            ticket=ticket_out(rt, {**ticket, "priority": "regular"}, service),
        )
        return json_response(out, 201)
    if not done["replay"]:
        metrics.TICKETS_ISSUED.labels(service.agency, service.id, "regular", "booking").inc()
        metrics.BOOKINGS.labels(service.id, "checked_in").inc()
    # The ticket as it is now (a repeat may find it called already).
    now = await ticket_view(rt, done["ticket_id"])
    out = CheckInOut(late=False, booking=booking_out(rt, done), ticket=now)
    return json_response(out, 201)
