"""Online booking (antrean daring), the pure rules: which days can be booked, a day's slots and
what each holds, and the check-in window around a slot. No Redis: the booking script counts.

- A service is bookable when the catalog gives it `slot_minutes` and a `booking_quota`.
- A day's slots run from the site's opening on that weekday, every `slot_minutes`, as long as a
  slot begins before the service's last ticket (or closing) and ends by closing.
- A slot holds at most what the counters that serve the service get through in it
  (counters x slot_minutes / avg_service_minutes, rounded down) and at most its even share of
  the day's booking quota (rounded up); the day as a whole never takes more than the quota.
  The rest of the daily quota is for walk-ins.
- Day D can be booked from `days_ahead` days before it until `closes_at` (local time) on the
  day before; never on the day itself.
- Check-in runs from `checkin_early_minutes` before the slot until `checkin_grace_minutes`
  after it began; later the booking expires and its visitor is a walk-in.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from antre_contracts import Catalog
from antre_contracts.catalog import WEEKDAYS, Service


@dataclass(frozen=True)
class Slot:
    start: datetime
    """Aware, in the site's zone."""
    end: datetime
    capacity: int

    @property
    def label(self) -> str:
        """'09.30', as the pages show it (and the key the script counts it under)."""
        return f"{self.start:%H.%M}"

    def checkin_opens(self, catalog: Catalog) -> datetime:
        return self.start - timedelta(minutes=catalog.booking.checkin_early_minutes)

    def checkin_closes(self, catalog: Catalog) -> datetime:
        return self.start + timedelta(minutes=catalog.booking.checkin_grace_minutes)


def bookable(service: Service) -> bool:
    return service.slot_minutes is not None and service.booking_quota > 0


def slots(catalog: Catalog, service: Service, day: date) -> list[Slot]:
    """The day's slots of a service with their capacity; none on a closed day."""
    hours = catalog.site.hours.get(WEEKDAYS[day.weekday()])
    if hours is None or not bookable(service) or service.slot_minutes is None:
        return []
    tz = catalog.site.tz
    length = timedelta(minutes=service.slot_minutes)
    close = datetime.combine(day, hours.close, tz)
    last = datetime.combine(day, service.last_ticket, tz) if service.last_ticket else close
    starts: list[datetime] = []
    at = datetime.combine(day, hours.open, tz)
    while at < min(last, close) and at + length <= close:
        starts.append(at)
        at += length
    if not starts:
        return []
    counters = len(catalog.counters_serving(service.id))
    throughput = math.floor(counters * service.slot_minutes / service.avg_service_minutes)
    share = math.ceil(service.booking_quota / len(starts))
    capacity = min(throughput, share)
    return [Slot(s, s + length, capacity) for s in starts]


def slot_at(catalog: Catalog, service: Service, day: date, label: str) -> Slot | None:
    """The slot of that day starting at `label` ('09.30' or '09:30'), if there is one."""
    wanted = label.replace(":", ".")
    return next((s for s in slots(catalog, service, day) if s.label == wanted), None)


def closes_for(catalog: Catalog, day: date) -> datetime:
    """When bookings for `day` close: `closes_at` on the day before, local time."""
    return datetime.combine(day - timedelta(days=1), catalog.booking.closes_at, catalog.site.tz)


def booking_days(catalog: Catalog, now: datetime) -> list[date]:
    """The days that can be booked at `now`: open days from tomorrow to `days_ahead` ahead whose
    booking has not closed."""
    today = now.astimezone(catalog.site.tz).date()
    out = []
    for n in range(1, catalog.booking.days_ahead + 1):
        day = today + timedelta(days=n)
        if WEEKDAYS[day.weekday()] in catalog.site.hours and now < closes_for(catalog, day):
            out.append(day)
    return out


def day_open(catalog: Catalog, now: datetime, day: date) -> bool:
    return day in booking_days(catalog, now)
