"""The site catalog: agencies, services, counters, zones, hours, officers. Read from TOML."""

import tomllib
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpeningHours(_Model):
    open: time
    close: time


class Site(_Model):
    id: str = Field(pattern=r"^[a-z0-9-]+$", examples=["kutim"])
    name: str
    timezone: str = Field(examples=["Asia/Makassar"])
    timezone_label: str = Field(default="WITA")
    running_text: str = ""
    survey_url: str | None = None
    hours: dict[str, OpeningHours] = Field(description="By weekday: mon … sun; absent = closed")

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Zone(_Model):
    id: str
    name: str


class Agency(_Model):
    id: str
    name: str
    short_name: str


class Service(_Model):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    agency: str
    name: str
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    zone: str
    avg_service_minutes: float = Field(gt=0, description="Until real service times exist")
    service_level_minutes: int = Field(default=30, gt=0, description="Target waiting time")
    daily_quota: int | None = Field(default=None, gt=0)
    public_quota: int | None = Field(
        default=None,
        ge=0,
        description="Of the daily quota, the tickets set aside for the public channel (web,"
        " phone); unset: the rules' public_quota_share of it",
    )
    last_ticket: time | None = Field(default=None, description="No tickets issued after this")
    slot_minutes: int | None = Field(
        default=None, gt=0, le=240, description="Length of a booking slot; unset: not bookable"
    )
    booking_quota: int = Field(
        default=0,
        ge=0,
        description="Tickets a day that can be booked online (antrean daring); the rest of the"
        " daily quota stays for walk-ins. Each slot holds at most what the service's counters"
        " serve in it (counters x slot_minutes / avg_service_minutes)",
    )


class Counter(_Model):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    number: int = Field(gt=0)
    name: str
    zone: str
    services: list[str] = Field(min_length=1, description="Served in this order of preference")


class Officer(_Model):
    id: str
    name: str
    counters: list[str]
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: Literal["officer", "coordinator"] = Field(
        default="officer",
        description="coordinator: may also read every officer's figures (the coordinator page)",
    )


class Kiosk(_Model):
    """A ticket machine in the hall: it issues with its own device token (kiosk channel)."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Tablet(_Model):
    """A survey tablet at a counter: it shows the survey of the ticket the counter just
    served, with its own device token."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    counter: str
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Rules(_Model):
    priority_streak: int = Field(
        default=2, ge=1, description="Priority calls in a row before one regular call"
    )
    ageing_minutes: int = Field(
        default=30, ge=1, description="A regular ticket waiting this long is called next"
    )
    service_time_window: int = Field(
        default=20, ge=1, description="Completions in the moving mean of service time"
    )
    max_visit_steps: int = Field(
        default=4,
        ge=1,
        le=8,
        description="Services one ticket may visit, each at another agency (the first included)",
    )
    public_quota_share: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Share of a service's daily quota set aside for the public channel (web,"
        " phone); kiosks issue the rest",
    )


class BookingRules(_Model):
    """When online bookings open and close, and the check-in window around a slot."""

    days_ahead: int = Field(default=7, ge=1, le=60, description="Bookable days from tomorrow")
    closes_at: time = Field(
        default=time(16, 0),
        description="Bookings for a day close at this local time the day before",
    )
    checkin_early_minutes: int = Field(
        default=30, ge=0, description="Check-in opens this long before the slot"
    )
    checkin_grace_minutes: int = Field(
        default=15,
        ge=0,
        description="Check-in until this long after the slot began; later arrivals become"
        " walk-ins, and a booking never checked in expires then",
    )


class Catalog(_Model):
    site: Site
    rules: Rules = Rules()
    zones: list[Zone]
    agencies: list[Agency]
    services: list[Service]
    counters: list[Counter]
    officers: list[Officer] = []
    kiosks: list[Kiosk] = []
    tablets: list[Tablet] = []
    booking: BookingRules = BookingRules()

    @model_validator(mode="after")
    def _references_resolve(self) -> "Catalog":
        zones = {z.id for z in self.zones}
        agencies = {a.id for a in self.agencies}
        services = {s.id for s in self.services}
        counters = {c.id for c in self.counters}
        prefixes = [s.prefix for s in self.services]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError("two services share a ticket prefix")
        for s in self.services:
            if s.agency not in agencies or s.zone not in zones:
                raise ValueError(f"service {s.id}: unknown agency or zone")
        for c in self.counters:
            if c.zone not in zones or not set(c.services) <= services:
                raise ValueError(f"counter {c.id}: unknown zone or service")
        for s in self.services:
            if s.public_quota is not None and s.public_quota > (s.daily_quota or 0):
                raise ValueError(f"service {s.id}: public_quota over its daily_quota")
        for s in self.services:
            if s.booking_quota and s.slot_minutes is None:
                raise ValueError(f"service {s.id}: booking_quota without slot_minutes")
            if (
                s.daily_quota is not None
                and s.booking_quota + (self.public_quota(s) or 0) > s.daily_quota
            ):
                raise ValueError(f"service {s.id}: booking and public quotas over its daily_quota")
        hashes = [o.token_sha256 for o in self.officers] + [k.token_sha256 for k in self.kiosks]
        hashes += [t.token_sha256 for t in self.tablets]
        if len(set(hashes)) != len(hashes):
            raise ValueError("two officers, kiosks or tablets share a token")
        for t in self.tablets:
            if t.counter not in counters:
                raise ValueError(f"tablet {t.id}: unknown counter")
        for o in self.officers:
            if not set(o.counters) <= counters:
                raise ValueError(f"officer {o.id}: unknown counter")
        for day in self.site.hours:
            if day not in WEEKDAYS:
                raise ValueError(f"hours: {day!r} is not one of {', '.join(WEEKDAYS)}")
        return self

    @cached_property
    def service_by_id(self) -> dict[str, Service]:
        return {s.id: s for s in self.services}

    @cached_property
    def counter_by_id(self) -> dict[str, Counter]:
        return {c.id: c for c in self.counters}

    @cached_property
    def agency_by_id(self) -> dict[str, Agency]:
        return {a.id: a for a in self.agencies}

    def public_quota(self, service: Service) -> int | None:
        """How many of the service's tickets a day the public channel may take (None: no
        quota, only rate limits bound it)."""
        if service.daily_quota is None:
            return None
        if service.public_quota is not None:
            return service.public_quota
        return int(service.daily_quota * self.rules.public_quota_share)

    def counters_serving(self, service_id: str) -> list[Counter]:
        return [c for c in self.counters if service_id in c.services]


def load_catalog(path: str | Path) -> Catalog:
    """Read and check a catalog file; errors name the bad entry."""
    with open(path, "rb") as f:
        return Catalog.model_validate(tomllib.load(f))
