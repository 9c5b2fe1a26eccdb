"""Which part of the hall a board shows: `?zone=` or `?services=` (pure)."""

from dataclasses import dataclass
from typing import Any

from antre_contracts import Catalog


class UnknownFilter(ValueError):
    """A zone or service the catalog does not know; the message names it."""


@dataclass(frozen=True)
class BoardFilter:
    """A board's view: the counters and services it shows; None means the whole hall."""

    key: str
    counters: frozenset[str] | None = None
    services: frozenset[str] | None = None
    zones: frozenset[str] | None = None  # a zone board's zones (its hall content)

    @classmethod
    def parse(cls, catalog: Catalog, zone: str | None, services: str | None) -> "BoardFilter":
        """Build from the query; `zone` may list several zones, comma separated."""
        if services:
            wanted = frozenset(s.strip() for s in services.split(",") if s.strip())
            unknown = sorted(wanted - catalog.service_by_id.keys())
            if unknown:
                raise UnknownFilter(f"layanan tidak dikenal: {', '.join(unknown)}")
            counters = frozenset(c.id for c in catalog.counters if wanted & set(c.services))
            return cls(f"s:{','.join(sorted(wanted))}", counters, wanted)
        if zone:
            zones = frozenset(z.strip() for z in zone.split(",") if z.strip())
            unknown = sorted(zones - {z.id for z in catalog.zones})
            if unknown:
                raise UnknownFilter(f"zona tidak dikenal: {', '.join(unknown)}")
            counters = frozenset(c.id for c in catalog.counters if c.zone in zones)
            served = frozenset(s.id for s in catalog.services if s.zone in zones)
            return cls(f"z:{','.join(sorted(zones))}", counters, served, zones)
        return cls("all")

    def shows_counter(self, counter_id: str) -> bool:
        return self.counters is None or counter_id in self.counters

    def shows_service(self, service_id: str) -> bool:
        return self.services is None or service_id in self.services

    def shows_call(self, call: dict[str, Any]) -> bool:
        # A call belongs to the board when its counter or its service is on it.
        return self.shows_counter(call["counter_id"]) or self.shows_service(call["service_id"])

    def update(self, update: dict[str, Any]) -> dict[str, Any] | None:
        """The part of a board update this board shows, or None when nothing is left."""
        if self.counters is None:
            return update
        kept: dict[str, Any] = {"type": update.get("type")}
        counter = update.get("counter")
        if counter is not None and self.shows_counter(counter["id"]):
            kept["counter"] = counter
        waiting = {s: n for s, n in (update.get("waiting") or {}).items() if self.shows_service(s)}
        if waiting:
            kept["waiting"] = waiting
        call = update.get("call")
        if call is not None and self.shows_call(call):
            kept["call"] = call
        return kept if len(kept) > 1 else None
