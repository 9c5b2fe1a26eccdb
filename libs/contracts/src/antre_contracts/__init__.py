"""The event contract every Antre service shares."""

from antre_contracts.catalog import Catalog, load_catalog
from antre_contracts.envelope import CloudEvent, InvalidEvent, parse_event
from antre_contracts.events import (
    EVENT_TYPES,
    MAX_SEQUENCE,
    Channel,
    CounterEpochStarted,
    CounterState,
    CounterStateChanged,
    CounterTicket,
    EpochCause,
    EventData,
    Outcome,
    Priority,
    QueueEpochStarted,
    TicketCalled,
    TicketCompleted,
    TicketExpired,
    TicketIssued,
    TicketServiceStarted,
    TicketTransferred,
)
from antre_contracts.phone import PhoneCipher, mask
from antre_contracts.topics import DEAD_LETTERS, QUEUE_EVENTS, counter_key, queue_key

__all__ = [
    "DEAD_LETTERS",
    "EVENT_TYPES",
    "MAX_SEQUENCE",
    "QUEUE_EVENTS",
    "Catalog",
    "Channel",
    "CloudEvent",
    "CounterEpochStarted",
    "CounterState",
    "CounterStateChanged",
    "CounterTicket",
    "EpochCause",
    "EventData",
    "InvalidEvent",
    "Outcome",
    "PhoneCipher",
    "Priority",
    "QueueEpochStarted",
    "TicketCalled",
    "TicketCompleted",
    "TicketExpired",
    "TicketIssued",
    "TicketServiceStarted",
    "TicketTransferred",
    "counter_key",
    "load_catalog",
    "mask",
    "parse_event",
    "queue_key",
]
