"""Data of each queue event type. Times are UTC ISO 8601; the site's zone is in the catalog."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

MAX_SEQUENCE = 10**14 - 1
"""The largest sequence, epoch or count an event may carry: far beyond any real queue, and
exact everywhere it goes (Redis's Lua keeps numbers as doubles and cjson writes 14 digits).
A larger number is an invalid event, dead-lettered, not a script error on every retry."""

Count = Annotated[int, Field(ge=0, le=MAX_SEQUENCE)]
Seq = Annotated[int, Field(ge=1, le=MAX_SEQUENCE)]


def _lua_empty_list(value: Any) -> Any:
    # Redis's cjson encodes an empty Lua table as {}; in these fields it is always a list.
    return [] if value == {} else value


TicketIds = Annotated[list[str], BeforeValidator(_lua_empty_list)]


class Priority(StrEnum):
    regular = "regular"
    lansia = "lansia"
    disabilitas = "disabilitas"
    ibu_hamil = "ibu_hamil"


class Channel(StrEnum):
    """Where a ticket was taken."""

    kiosk = "kiosk"
    web = "web"
    api = "api"
    booking = "booking"
    """Checked in at a kiosk with an online booking."""


class Outcome(StrEnum):
    served = "served"
    no_show = "no_show"


class CounterState(StrEnum):
    open = "open"
    on_break = "break"
    closed = "closed"


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TicketIssued(EventData):
    """A visitor took a ticket; it waits in its service's queue."""

    ticket_id: str = Field(description="Opaque ticket id", examples=["kutim-20261128-A-017"])
    number: str = Field(description="The number shown and spoken", examples=["A-017"])
    service_id: str = Field(examples=["ktp-el"])
    agency_id: str = Field(examples=["disdukcapil"])
    service_day: date = Field(description="The site's local day the ticket belongs to")
    priority: Priority = Field(examples=["regular"])
    channel: str = Field(description="kiosk, web or api", examples=["kiosk"])
    issued_at: datetime
    people_ahead: Count = Field(description="Tickets to be called before this one")
    estimated_wait_s: Count = Field(description="Estimated seconds until called")
    waiting_count: Count = Field(description="Waiting tickets of the service after this")
    upcoming: TicketIds = Field(
        default_factory=list, description="Next waiting ticket ids of the service, in call order"
    )
    phone_encrypted: str | None = Field(
        default=None, description="Fernet token of the E.164 phone number, if given"
    )
    visit: TicketIds = Field(
        default_factory=list,
        description="A visit across agencies: its services in order, this one first (empty: one"
        " service)",
    )


class TicketCalled(EventData):
    """A counter called a ticket (again, when `recall` is true)."""

    ticket_id: str
    number: str = Field(examples=["A-017"])
    service_id: str
    counter_id: str = Field(examples=["loket-3"])
    counter_number: Seq = Field(description="The number spoken on the board", examples=[3])
    officer_id: str
    recall: bool = Field(description="True when the same ticket is called again")
    call_count: Seq
    called_at: datetime
    waited_s: Count = Field(description="Seconds from issue (or transfer) to first call")
    counter_seq: Seq = Field(description="Grows with each event of this counter")
    waiting_count: Count
    upcoming: TicketIds = Field(default_factory=list)
    phone_encrypted: str | None = None
    how: Literal["next", "number", "parked", "returned"] = Field(
        default="next",
        description="next: call-next took it in queue order; number: an officer chose this"
        " waiting ticket by its number; parked: a parked ticket called back (by number);"
        " returned: a no-show of the day who came back, called by number",
    )
    out_of_order: bool = Field(
        default=False,
        description="A chosen waiting ticket (or returned no-show) taken while call-next would"
        " have taken another",
    )
    reason: str | None = Field(default=None, description="Why the officer chose this ticket")
    park_count: Count = Field(default=0, description="Times the ticket was parked before")


class TicketParked(EventData):
    """An officer parked the ticket at their counter (the visitor went to photocopy a
    document, fill in a form): it leaves the counter and waits in its service's parked list,
    keeping no place in the queue, until a counter of the service calls it back by number or
    the day ends."""

    ticket_id: str
    number: str
    service_id: str
    counter_id: str
    officer_id: str
    reason: str = Field(examples=["fotokopi dokumen"])
    parked_at: datetime
    park_count: Seq = Field(description="Times this ticket has been parked, this one included")
    counter_seq: Seq
    waiting_count: Count = Field(description="Waiting tickets of the service (parked excluded)")
    parked_count: Count = Field(description="Parked tickets of the service now")


class TicketServiceStarted(EventData):
    """The visitor arrived at the counter and service began."""

    ticket_id: str
    number: str
    service_id: str
    counter_id: str
    officer_id: str
    started_at: datetime
    counter_seq: Seq


class TicketCompleted(EventData):
    """Service finished: served, or the visitor did not come (no-show)."""

    ticket_id: str
    number: str
    service_id: str
    counter_id: str
    officer_id: str
    outcome: Outcome
    completed_at: datetime
    service_time_s: Count | None = Field(
        default=None, description="Seconds from start (or call) to finish; none for no-show"
    )
    counter_seq: Seq
    waiting_count: Count


class TicketTransferred(EventData):
    """A counter sent the ticket on to another service; it waits there, keeping its number."""

    ticket_id: str
    number: str
    from_service_id: str
    service_id: str = Field(description="The service it now waits for")
    counter_id: str
    officer_id: str
    transferred_at: datetime
    counter_seq: Seq
    people_ahead: Count
    estimated_wait_s: Count
    waiting_count: Count = Field(description="Waiting tickets of the target service")
    upcoming: TicketIds = Field(default_factory=list)
    phone_encrypted: str | None = None
    reason: Literal["transfer", "visit"] = Field(
        default="transfer",
        description="transfer: an officer sent it on; visit: its step at `from_service_id` was"
        " served and it goes on to the next service of its visit",
    )
    visit: TicketIds = Field(default_factory=list, description="The visit's services, in order")
    step: int | None = Field(default=None, ge=1, description="Its step in `visit` now (from 1)")


class VisitStepChanged(EventData):
    """An officer added a step to the visit of the ticket at their counter, or removed one
    still to come (`antre.visit.step_added`, `antre.visit.step_removed`)."""

    ticket_id: str
    number: str
    service_id: str = Field(description="The service the ticket is at now")
    step_service_id: str = Field(description="The step added or removed")
    visit: TicketIds = Field(description="The visit's services now, in order")
    step: int = Field(ge=1, description="The step the ticket is at (from 1)")
    counter_id: str
    officer_id: str
    changed_at: datetime


class CounterStateChanged(EventData):
    """A counter opened, went on a break (with a reason) or closed."""

    counter_id: str
    counter_number: Seq
    state: CounterState
    reason: str | None = Field(default=None, examples=["istirahat", "salat"])
    officer_id: str | None = None
    services: list[str] = Field(description="Services the counter serves, in call order")
    changed_at: datetime
    counter_seq: Seq


class EpochCause(StrEnum):
    new_day = "new_day"
    restart = "restart"
    """Ticketing's Redis is a new process (a restart, a failover or a restore from a backup)."""


class TicketExpired(EventData):
    """A ticket still waiting when its day ended: it will not be called (sent as the next day
    begins, right after its queue's `QueueEpochStarted`)."""

    ticket_id: str
    number: str
    service_id: str
    service_day: date = Field(description="The day the ticket was for")
    expired_at: datetime
    waiting_count: Count = Field(description="Waiting tickets of the service now (the new day)")


class QueueEpochStarted(EventData):
    """The first event of a queue's epoch (sequence 1): a new day, whose waiting count starts
    from what is waiting now (yesterday's tickets expire), or a new Redis process behind
    ticketing (restart, failover, restore), after which the queue is again what ticketing's
    store says. Consumers set the queue from it."""

    service_id: str
    service_day: date
    cause: EpochCause
    waiting_count: Count
    started_at: datetime


class CounterTicket(BaseModel):
    """The ticket at a counter: called or being served."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    ticket_id: str
    number: str
    service_id: str
    status: str = Field(examples=["called", "serving"])


class CounterEpochStarted(EventData):
    """The first event of a counter's own key in an epoch (see `QueueEpochStarted`): the
    counter as ticketing has it now, with the ticket at it, if any."""

    counter_id: str
    counter_number: Seq
    service_day: date
    cause: EpochCause
    state: CounterState
    reason: str | None = None
    services: list[str]
    ticket: CounterTicket | None = None
    started_at: datetime
    counter_seq: Seq


class BookingEvent(EventData):
    """What every booking event carries: the booking and its slot. Booking events go on the
    queue topic under their service's queue key, in that queue's sequence."""

    booking_code: str = Field(
        description="The visitor's code (their credential to cancel, move and check in)",
        examples=["K7PM-3QXA"],
    )
    service_id: str
    agency_id: str
    service_day: date = Field(description="The day of the slot")
    slot_start: datetime
    slot_end: datetime


class BookingCreated(BookingEvent):
    """A slot was booked online (antrean daring)."""

    created_at: datetime
    phone_encrypted: str | None = Field(
        default=None, description="Fernet token of the E.164 phone number, if given"
    )


class BookingMoved(BookingEvent):
    """A booking moved to another slot of the same service (`slot_*` is the new one)."""

    from_day: date
    from_slot_start: datetime
    moved_at: datetime
    phone_encrypted: str | None = None


class BookingCancelled(BookingEvent):
    """The visitor cancelled; the slot is free again."""

    cancelled_at: datetime


class BookingCheckedIn(BookingEvent):
    """The visitor checked in at a kiosk within the slot's window: the ticket (its own
    `antre.ticket.issued` follows, channel `booking`) is called from the slot's time, before
    walk-ins who came later."""

    ticket_id: str
    number: str
    checked_in_at: datetime


class BookingExpired(BookingEvent):
    """Never checked in by the end of the slot's check-in window (a later arrival is a
    walk-in). The slot is not freed."""

    expired_at: datetime


class BookingReminderDue(BookingEvent):
    """The day before the slot (as booking for that day closes): remind the visitor, if they
    gave a phone number and the booking still stands."""

    phone_encrypted: str
    due_at: datetime


EVENT_TYPES: dict[str, type[EventData]] = {
    "antre.ticket.issued": TicketIssued,
    "antre.ticket.called": TicketCalled,
    "antre.ticket.service_started": TicketServiceStarted,
    "antre.ticket.completed": TicketCompleted,
    "antre.ticket.transferred": TicketTransferred,
    "antre.ticket.parked": TicketParked,
    "antre.counter.state_changed": CounterStateChanged,
    "antre.ticket.expired": TicketExpired,
    "antre.queue.epoch_started": QueueEpochStarted,
    "antre.counter.epoch_started": CounterEpochStarted,
    "antre.booking.created": BookingCreated,
    "antre.booking.moved": BookingMoved,
    "antre.booking.cancelled": BookingCancelled,
    "antre.booking.checked_in": BookingCheckedIn,
    "antre.booking.expired": BookingExpired,
    "antre.booking.reminder_due": BookingReminderDue,
    "antre.visit.step_added": VisitStepChanged,
    "antre.visit.step_removed": VisitStepChanged,
}
