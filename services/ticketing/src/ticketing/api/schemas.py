"""Request and response bodies of the HTTP API."""

from datetime import datetime
from typing import Literal

from antre_contracts import Channel, Outcome, Priority
from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueRequest(_Body):
    service_id: str = Field(examples=["ktp-el"])
    priority: Priority = Priority.regular
    phone: str | None = Field(
        default=None,
        max_length=32,
        description="Optional mobile number for SMS",
        examples=["0812 3456 7890"],
    )
    channel: Channel | None = Field(
        default=None,
        description="kiosk needs a kiosk token (Authorization: Bearer); without one the ticket"
        " comes through the public channel (web, or api), with its own limits and quota share",
    )

    then: list[str] = Field(
        default_factory=list,
        max_length=7,
        description="A visit across agencies: further services, in order, each at another"
        " agency; the ticket joins the next one's queue when one is served",
        examples=[["jkn", "pkb-tahunan"]],
    )

    @field_validator("channel")
    @classmethod
    def _not_booking(cls, value: Channel | None) -> Channel | None:
        if value is Channel.booking:
            raise ValueError("a booked ticket comes from a check-in at a kiosk")
        return value


class VisitStep(BaseModel):
    service_id: str
    service_name: str
    agency_name: str
    zone_name: str
    state: Literal["done", "current", "next"]


class TicketOut(BaseModel):
    ticket_id: str = Field(
        examples=["20261128-A017-3f9c0b2e84d1a7c655e0f4b9"],
        description="Also the status link's secret (96 random bits): only its holder sees it",
    )
    number: str = Field(examples=["A-017"])
    service_id: str
    service_name: str
    agency_name: str
    priority: Priority | None = None
    status: str = Field(examples=["waiting"])
    people_ahead: int | None = None
    estimated_wait_s: int | None = None
    estimated_call_at: datetime | None = Field(
        default=None, description="Local time (site zone) when the ticket is expected to be called"
    )
    issued_at: datetime | None = None
    counter_id: str | None = None
    counter_name: str | None = None
    call_count: int | None = None
    status_url: str
    visit: list[VisitStep] = Field(
        default_factory=list, description="A visit across agencies: every step and its state"
    )


class QueueOut(BaseModel):
    """A public waiting list: numbers only."""

    service_id: str
    service_name: str
    waiting: int
    numbers: list[str] = Field(description="In call order, first 50", examples=[["A-017"]])


class CallNextRequest(_Body):
    service_id: str | None = Field(
        default=None, description="Call only from this service (the counter must serve it)"
    )


class FinishRequest(_Body):
    outcome: Outcome = Outcome.served


class TransferRequest(_Body):
    service_id: str = Field(examples=["kk"])


class BreakRequest(_Body):
    reason: Literal["istirahat", "salat", "sholat", "rapat", "gangguan"] = Field(
        default="istirahat", description="Why the counter pauses; 'sholat' is stored as 'salat'"
    )

    @field_validator("reason")
    @classmethod
    def _kbbi(cls, reason: str) -> str:
        return "salat" if reason == "sholat" else reason


class CallNumberRequest(_Body):
    number: str = Field(
        pattern=r"^[A-Z]{1,2}-[0-9]{3,5}$",
        description="The ticket's number as shown (waiting, parked, or a no-show of today)",
        examples=["A-017"],
    )
    reason: Literal["terlambat", "kembali_parkir", "mendesak", "koreksi", "lainnya"] = Field(
        description="Why this ticket is called out of turn: terlambat (came late, or back"
        " after a no-show), kembali_parkir (back from parking), mendesak (urgent), koreksi"
        " (correcting a wrong call), lainnya"
    )


class ParkRequest(_Body):
    reason: Literal["fotokopi", "melengkapi_berkas", "menunggu_verifikasi", "lainnya"] = Field(
        description="Why the visitor steps away: fotokopi (to photocopy a document),"
        " melengkapi_berkas (to complete the documents), menunggu_verifikasi (waiting for a"
        " check by another office), lainnya"
    )


class ActionOut(BaseModel):
    """What a counter action did."""

    counter_id: str
    ticket_id: str | None = None
    number: str | None = None
    service_id: str | None = None
    state: str | None = None
    detail: str
    visit: list[str] | None = Field(
        default=None, description="A visit's services in order, after a step was added or removed"
    )
    next_service_id: str | None = Field(
        default=None, description="Finished and served: the visit's next service, now waited for"
    )
    how: str | None = Field(
        default=None, description="A call: next, number, parked (called back) or returned"
    )
    out_of_order: bool | None = Field(
        default=None, description="A chosen call that took another ticket than call-next would"
    )


class StepRequest(_Body):
    service_id: str = Field(examples=["jkn"], description="A service at another agency")
