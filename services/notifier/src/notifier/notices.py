"""Pure rules: which SMS notices a queue event calls for. No I/O.

A notice is identified by (ticket, kind, wait): `wait` is the service the ticket waits for
(near turn, called) or "" for once-per-ticket kinds (issued, survey). A transfer starts a
new wait, so the visitor hears again when near and when called at the new service; a recall
never sends again, a parked ticket called back does (once per parking).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from antre_contracts.events import (
    BookingCreated,
    BookingMoved,
    BookingReminderDue,
    EventData,
    Outcome,
    TicketCalled,
    TicketCompleted,
    TicketIssued,
    TicketTransferred,
)

Kind = Literal["issued", "near_turn", "called", "survey", "booked", "reminder", "next_step"]
PhoneSource = Literal["event", "stored"]


@dataclass(frozen=True)
class Notice:
    ticket_id: str
    kind: Kind
    service_id: str
    fields: dict[str, str | int]
    phone: PhoneSource
    event_ms: int
    """When the event happened; a stale notice is judged from it."""
    again: str = ""
    """Makes a later call of the same wait its own notice: a parked ticket called back
    ("parked1": after its first parking) or a no-show who came back ("returned")."""

    @property
    def id(self) -> str:
        base = notice_id(self.ticket_id, self.kind, self.service_id)
        return f"{base}|{self.again}" if self.again else base


@dataclass(frozen=True)
class TicketInfo:
    """What a later near-turn or survey SMS needs; the phone stays encrypted by the handler."""

    ticket_id: str
    number: str
    service_id: str


@dataclass
class Plan:
    ticket: TicketInfo | None = None
    skips: list[str] = field(default_factory=list)
    """Notice ids never to send (as if sent)."""
    notices: list[Notice] = field(default_factory=list)
    phone_token: str | None = None
    """The event's encrypted phone, for `ticket` and notices with phone="event"."""


@dataclass(frozen=True)
class Rules:
    near_turn_for: Callable[[str], int]
    tz: ZoneInfo
    tz_label: str
    survey_url: str | None
    """Where the survey SMS points; `{ticket_id}` in it becomes the served ticket's id (Antre's
    own survey page, services/survey: /s/{ticket_id})."""
    checkin_early: timedelta = timedelta(minutes=30)
    checkin_grace: timedelta = timedelta(minutes=15)
    """The catalog's check-in window around a booked slot."""


ONCE_PER_TICKET = ("issued", "survey", "booked", "reminder")
DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def notice_id(ticket_id: str, kind: str, service_id: str) -> str:
    """(ticket, kind, wait): the identity that is sent at most once."""
    wait = "" if kind in ONCE_PER_TICKET else service_id
    return f"{ticket_id}|{kind}|{wait}"


def clock(at: datetime, rules: Rules) -> str:
    """'10.35 WITA': the site's local time, written the Indonesian way."""
    return at.astimezone(rules.tz).strftime("%H.%M") + f" {rules.tz_label}"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def plan(data: EventData, rules: Rules) -> Plan:
    """The notices (and bookkeeping) one event calls for."""
    if isinstance(data, TicketIssued):
        return _issued(data, rules)
    if isinstance(data, TicketCalled):
        return _called(data, rules)
    if isinstance(data, TicketTransferred):
        return _transferred(data, rules)
    if isinstance(data, TicketCompleted):
        return _completed(data, rules)
    if isinstance(data, BookingCreated | BookingMoved | BookingReminderDue):
        return _booking(data, rules)
    return Plan()


def _near_turn(service_id: str, upcoming: list[str], at: datetime, rules: Rules) -> list[Notice]:
    # Ticketing owns the order: the ticket at index N-1 of `upcoming` is N-th in line.
    n = rules.near_turn_for(service_id)
    if len(upcoming) < n:
        return []
    fields: dict[str, str | int] = {"position": n, "people_ahead": n - 1}
    return [Notice(upcoming[n - 1], "near_turn", service_id, fields, "stored", _ms(at))]


def _issued(e: TicketIssued, rules: Rules) -> Plan:
    p = Plan(phone_token=e.phone_encrypted)
    if e.phone_encrypted:
        p.ticket = TicketInfo(e.ticket_id, e.number, e.service_id)
        eta = e.issued_at + timedelta(seconds=e.estimated_wait_s)
        fields: dict[str, str | int] = {
            "number": e.number,
            "people_ahead": e.people_ahead,
            "eta": clock(eta, rules),
            "wait_minutes": round(e.estimated_wait_s / 60),
        }
        p.notices.append(
            Notice(e.ticket_id, "issued", e.service_id, fields, "event", _ms(e.issued_at))
        )
        if e.people_ahead < rules.near_turn_for(e.service_id):
            # Already that close when issued: the issue SMS said so; a near-turn SMS adds nothing.
            p.skips.append(notice_id(e.ticket_id, "near_turn", e.service_id))
    p.notices += _near_turn(e.service_id, e.upcoming, e.issued_at, rules)
    return p


def _called(e: TicketCalled, rules: Rules) -> Plan:
    p = Plan(phone_token=e.phone_encrypted)
    if e.phone_encrypted:
        # A parked ticket called back is away (photocopying): it hears again, once per parking;
        # so does a no-show called when they came back. A recall never sends.
        again = {"parked": f"parked{e.park_count}", "returned": "returned"}.get(e.how, "")
        fields: dict[str, str | int] = {"number": e.number, "counter": e.counter_number}
        p.notices.append(
            Notice(e.ticket_id, "called", e.service_id, fields, "event", _ms(e.called_at), again)
        )
    p.notices += _near_turn(e.service_id, e.upcoming, e.called_at, rules)
    return p


def _transferred(e: TicketTransferred, rules: Rules) -> Plan:
    p = Plan(phone_token=e.phone_encrypted)
    if e.phone_encrypted:
        p.ticket = TicketInfo(e.ticket_id, e.number, e.service_id)
        if e.reason == "visit":  # a step served: where to go next
            fields: dict[str, str | int] = {"number": e.number, "people_ahead": e.people_ahead}
            at = _ms(e.transferred_at)
            p.notices.append(Notice(e.ticket_id, "next_step", e.service_id, fields, "event", at))
        if e.people_ahead < rules.near_turn_for(e.service_id):
            p.skips.append(notice_id(e.ticket_id, "near_turn", e.service_id))
    p.notices += _near_turn(e.service_id, e.upcoming, e.transferred_at, rules)
    return p


def _completed(e: TicketCompleted, rules: Rules) -> Plan:
    if e.outcome is not Outcome.served or not rules.survey_url:
        return Plan()
    fields: dict[str, str | int] = {"url": rules.survey_url.replace("{ticket_id}", e.ticket_id)}
    return Plan(
        notices=[Notice(e.ticket_id, "survey", e.service_id, fields, "stored", _ms(e.completed_at))]
    )


def _booking(e: BookingCreated | BookingMoved | BookingReminderDue, rules: Rules) -> Plan:
    """A booking's confirmation (made or moved) and its reminder the day before, to the phone
    the event carries. They are sent once per booking and slot: a move confirms the new slot
    and is reminded of it; a cancelled or moved booking's reminder never comes (ticketing sends
    `reminder_due` only for a booking still in that slot)."""
    if not e.phone_encrypted:
        return Plan()
    start = e.slot_start.astimezone(rules.tz)
    fields: dict[str, str | int] = {
        "code": e.booking_code[:4] + "-" + e.booking_code[4:],
        "day": f"{DAY_NAMES[start.weekday()]} {start:%d-%m-%Y}",
        "time": f"{start:%H.%M} {rules.tz_label}",
        "checkin_from": f"{start - rules.checkin_early:%H.%M}",
        "checkin_until": f"{start + rules.checkin_grace:%H.%M}",
    }
    if isinstance(e, BookingReminderDue):
        kind: Kind = "reminder"
        at = e.due_at
    else:
        kind = "booked"
        at = e.created_at if isinstance(e, BookingCreated) else e.moved_at
    # The booking and its slot are the notice's "ticket": one queue of SMS per booking slot.
    key = f"booking:{e.booking_code}@{start:%Y%m%dT%H%M}"
    notice = Notice(key, kind, e.service_id, fields, "event", _ms(at))
    return Plan(phone_token=e.phone_encrypted, notices=[notice])
