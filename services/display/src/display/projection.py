"""Turn a queue event into the change it makes to the hall board (pure; applied by apply.lua).

A change has up to three parts, each checked for staleness on its own in Redis:
- `counter`: fields of one counter tile, ordered by the counter's `counter_seq`, because one
  counter's events travel in several partitions (each service queue plus the counter's own);
- `waiting`: a service's waiting count, taken only from events keyed by that service's queue,
  whose `sequence` (already checked per partition key) orders them;
- `call`: an entry for the hall's recent calls, with the text the hall voice speaks.
"""

from datetime import UTC, datetime
from typing import Any

from antre_contracts import (
    CloudEvent,
    CounterStateChanged,
    EventData,
    TicketCalled,
    TicketCompleted,
    TicketIssued,
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
    """The board change an event asks for; `pk`/`seq` drop duplicates and stale events."""
    change: Change = {"pk": envelope.partitionkey, "seq": envelope.sequence, "type": envelope.type}
    service_id = getattr(data, "service_id", None)
    count = getattr(data, "waiting_count", None)
    if count is not None and service_id and envelope.partitionkey == queue_key(site, service_id):
        change["waiting"] = {"service": service_id, "count": count}
    counter = _counter_part(data)
    if counter is not None:
        change["counter"] = counter
    if isinstance(data, TicketCalled):
        change["call"] = {
            "ticket_id": data.ticket_id,
            "number": data.number,
            "service_id": data.service_id,
            "counter_id": data.counter_id,
            "counter_number": data.counter_number,
            "recall": data.recall,
            "at": utc_text(data.called_at),
            "announce": announcement(data.number, data.counter_number),
        }
    return change


def _ticket(data: Any, status: str, at: datetime) -> dict[str, Any]:
    return {
        "ticket_id": data.ticket_id,
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
        case TicketTransferred():
            # The ticket left this counter for another queue: the tile shows it finished here.
            ticket = _ticket(data, "done", data.transferred_at)
            ticket["service_id"] = data.from_service_id
            fields = {"ticket": ticket}
        case CounterStateChanged():
            fields = {"state": data.state.value, "reason": data.reason}
            fields["number"] = data.counter_number
            if data.state.value == "closed":
                fields["ticket"] = None
        case TicketIssued():
            return None
        case _:
            return None
    return {"id": data.counter_id, "seq": data.counter_seq, "set": fields}
