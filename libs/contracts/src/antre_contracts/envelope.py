"""CloudEvents 1.0 structured JSON envelope with Antre's `sequence` and `epoch` extensions."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from antre_contracts.events import (
    EVENT_TYPES,
    MAX_SEQUENCE,
    BookingCancelled,
    BookingCheckedIn,
    BookingCreated,
    BookingExpired,
    BookingMoved,
    BookingReminderDue,
    CounterEpochStarted,
    CounterStateChanged,
    EventData,
    QueueEpochStarted,
    TicketCalled,
    TicketCompleted,
    TicketExpired,
    TicketIssued,
    TicketParked,
    TicketServiceStarted,
    TicketTransferred,
    VisitStepChanged,
)


class InvalidEvent(ValueError):
    """The bytes are not a queue event this contract knows; the reason says why. `envelope`
    is the CloudEvent when only its type or data was wrong (its place in its queue is known)."""

    def __init__(self, reason: str, envelope: "CloudEvent | None" = None) -> None:
        super().__init__(reason)
        self.envelope = envelope


class CloudEvent(BaseModel):
    """The envelope of every message on the queue topic."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(description="Unique per event; consumers de-duplicate by it")
    source: str = Field(examples=["/antre/kutim/ticketing"])
    type: str = Field(examples=["antre.ticket.called"])
    time: datetime
    subject: str = Field(description="Ticket id, or counter id for counter events")
    datacontenttype: Literal["application/json"] = "application/json"
    partitionkey: str = Field(
        description="The queue (`<site>:<service>`) or counter (`<site>:counter:<id>`) key"
    )
    sequence: int = Field(
        ge=1, le=MAX_SEQUENCE, description="Grows by one per event of the same partitionkey"
    )
    epoch: int = Field(
        default=0,
        ge=0,
        le=MAX_SEQUENCE,
        description="The numbering `sequence` belongs to: it begins at 1 in each epoch. Ticketing"
        " starts one per queue each day (YYYYMMDD × 1000) and a higher one after its state was"
        " restored (+1). 0: from before epochs. See antre_contracts.sequencing.",
        examples=[20261128000],
    )
    data: dict[str, Any]


def parse_event(raw: bytes | str) -> tuple[CloudEvent, EventData]:
    """Validate an envelope and its data; raise InvalidEvent with a readable reason."""
    try:
        envelope = CloudEvent.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidEvent(f"not a CloudEvents 1.0 queue event: {_first_error(exc)}") from exc
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise InvalidEvent(f"unknown event type {envelope.type!r}", envelope)
    try:
        return envelope, model.model_validate(envelope.data)
    except ValidationError as exc:
        reason = f"{envelope.type} data is invalid: {_first_error(exc)}"
        raise InvalidEvent(reason, envelope) from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"]) or "body"
    return f"{where}: {err['msg']}"


class QueueEventDoc(CloudEvent):
    """The envelope with `data` typed by `type`: what AsyncAPI documents for the queue topic."""

    data: (  # type: ignore[assignment]
        TicketIssued
        | TicketCalled
        | TicketServiceStarted
        | TicketCompleted
        | TicketTransferred
        | TicketParked
        | CounterStateChanged
        | TicketExpired
        | QueueEpochStarted
        | CounterEpochStarted
        | BookingCreated
        | BookingMoved
        | BookingCancelled
        | BookingCheckedIn
        | BookingExpired
        | BookingReminderDue
        | VisitStepChanged
    )
