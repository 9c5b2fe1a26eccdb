"""Turn a queue event into the change it makes to the hall board (pure; applied by apply.lua).

Every change carries its event's place (`pk`, `epoch`, `seq`): apply.lua applies it only in
sequence (antre_contracts.sequencing). It has up to four parts:
- `counter`: fields of one counter tile, ordered by the counter's (epoch, `counter_seq`),
  because one counter's events travel in several partitions (each service queue plus the
  counter's own);
- `waiting`: a service's waiting count, taken only from events keyed by that service's queue,
  whose sequence orders them;
- `call`: an entry for the hall's recent calls, with the text the hall voice speaks;
- `clear_calls`: a service whose day begins: its calls of the day before leave the list.

A ticket appears by its number only: boards are public, and a ticket id opens the ticket's
status page (public.py says what a board may carry).
"""

from datetime import UTC, datetime
from typing import Any

from antre_contracts import (
    CloudEvent,
    CounterEpochStarted,
    CounterStateChanged,
    EpochCause,
    EventData,
    QueueEpochStarted,
    TicketCalled,
    TicketCompleted,
    TicketParked,
    TicketServiceStarted,
    TicketTransferred,
    queue_key,
)

from display.texts import announcement

Change = dict[str, Any]


def utc_text(moment: datetime) -> str:
    """One fixed ISO form, so Lua can order times by comparing strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def change_for(site: str, envelope: CloudEvent, data: EventData) -> Change:
    """The board change an event asks for, at its place in its queue's sequence."""
    change = place_of(envelope)
    service_id = getattr(data, "service_id", None)
    count = getattr(data, "waiting_count", None)
    if count is not None and service_id and envelope.partitionkey == queue_key(site, service_id):
        change["waiting"] = {"service": service_id, "count": count}
    if isinstance(data, QueueEpochStarted) and data.cause is EpochCause.new_day:
        change["clear_calls"] = data.service_id
    counter = _counter_part(data)
    if counter is not None:
        counter["epoch"] = envelope.epoch
        change["counter"] = counter
    if isinstance(data, TicketCalled):
        change["call"] = {
            "number": data.number,
            "service_id": data.service_id,
            "counter_id": data.counter_id,
            "counter_number": data.counter_number,
            "recall": data.recall,
            "at": utc_text(data.called_at),
            "announce": announcement(data.number, data.counter_number),
        }
    return change


def place_of(envelope: CloudEvent) -> Change:
    """The change that only takes the event's place in its queue: for an event that is
    dead-lettered, so that its queue goes on (antre_contracts.consuming)."""
    return {
        "pk": envelope.partitionkey,
        "epoch": envelope.epoch,
        "seq": envelope.sequence,
        "type": envelope.type,
    }


def _ticket(data: Any, status: str, at: datetime) -> dict[str, Any]:
    return {
        "number": data.number,
        "service_id": data.service_id,
        "status": status,
        "at": utc_text(at),
    }


def _counter_part(data: EventData) -> Change | None:
    """The counter tile fields an event sets (`ticket: None` clears the ticket)."""
    match data:
        case TicketCalled():
            fields: Change = {"state": "open", "ticket": _ticket(data, "called", data.called_at)}
            fields["number"] = data.counter_number
        case TicketServiceStarted():
            fields = {"ticket": _ticket(data, "serving", data.started_at)}
        case TicketCompleted():
            fields = {"ticket": _ticket(data, "done", data.completed_at)}
        case TicketParked():  # stepped away: the tile says so until the counter calls again
            fields = {"ticket": _ticket(data, "parked", data.parked_at)}
        case TicketTransferred():
            # The ticket left this counter for another queue: the tile shows it finished here,
            # and for a visit across agencies where the visitor goes next.
            visit = data.reason == "visit"
            ticket = _ticket(data, "next" if visit else "done", data.transferred_at)
            ticket["service_id"] = data.from_service_id
            if visit:
                ticket["next_service_id"] = data.service_id
            fields = {"ticket": ticket}
        case CounterStateChanged():
            fields = {"state": data.state.value, "reason": data.reason}
            fields["number"] = data.counter_number
            if data.state.value == "closed":
                fields["ticket"] = None
        case CounterEpochStarted():
            fields = {"state": data.state.value, "reason": data.reason, "ticket": None}
            fields["number"] = data.counter_number
            if data.ticket is not None:  # still at the counter: the tile keeps showing it
                fields["ticket"] = _ticket(data.ticket, data.ticket.status, data.started_at)
        case _:
            return None
    return {"id": data.counter_id, "seq": data.counter_seq, "set": fields}
