"""Pure queue rules that need no Redis: opening hours, quotas, phone numbers, estimates."""

from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from antre_contracts import Catalog
from antre_contracts.catalog import WEEKDAYS, Service, Site

from ticketing.texts import DAY_NAMES


@dataclass(frozen=True)
class Refusal:
    """Why a ticket cannot be issued now; `code` maps to a problem type."""

    code: str
    detail: str


def hours_refusal(site: Site, service: Service, at: datetime) -> Refusal | None:
    """None when `service` takes tickets at `at` by the site's hours and its last-ticket time.

    The daily quota is checked atomically in the issuing script, not here.
    """
    local = at.astimezone(site.tz)
    hours = site.hours.get(WEEKDAYS[local.weekday()])
    if hours is None or not hours.open <= local.time() < hours.close:
        return Refusal("closed", describe_hours(site))
    if service.last_ticket is not None and local.time() >= service.last_ticket:
        return Refusal("last_ticket_passed", f"last ticket at {service.last_ticket:%H.%M}")
    return None


def describe_hours(site: Site) -> str:
    """'Senin–Kamis 08.00–15.30, Jumat 08.00–16.00 WITA': days in a row with equal hours grouped."""
    groups: list[tuple[int, int, str]] = []
    for i, day in enumerate(WEEKDAYS):
        h = site.hours.get(day)
        if h is None:
            continue
        span = f"{h.open:%H.%M}–{h.close:%H.%M}"
        if groups and groups[-1][1] == i - 1 and groups[-1][2] == span:
            groups[-1] = (groups[-1][0], i, span)
        else:
            groups.append((i, i, span))
    parts = [
        (DAY_NAMES[a] if a == b else f"{DAY_NAMES[a]}–{DAY_NAMES[b]}") + f" {span}"
        for a, b, span in groups
    ]
    return ", ".join(parts) + f" {site.timezone_label}" if parts else "tutup"


def normalise_phone(raw: str) -> str:
    """An Indonesian mobile number as E.164 (+62…); ValueError when it is not one."""
    try:
        parsed = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if not phonenumbers.is_valid_number(parsed) or parsed.country_code != 62:
        raise ValueError("not a valid Indonesian phone number")
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError("not a mobile number that can receive SMS")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def estimated_wait_s(people_ahead: int, open_counters: int, mean_service_s: float) -> int:
    """(people ahead ÷ open counters) × mean service time; one counter assumed when none is open."""
    return round(people_ahead / max(1, open_counters) * mean_service_s)


def visit_refusal(catalog: Catalog, services: list[str]) -> Refusal | None:
    """A visit's services (the first included) may be at most `rules.max_visit_steps`, each
    a known service of another agency. None when they are."""
    if len(services) > catalog.rules.max_visit_steps:
        return Refusal("visit_full", str(catalog.rules.max_visit_steps))
    agencies = []
    for service_id in services:
        service = catalog.service_by_id.get(service_id)
        if service is None:
            return Refusal("unknown_service", service_id)
        agencies.append(service.agency)
    if len(set(agencies)) != len(agencies):
        return Refusal("same_agency_in_visit", "")
    return None
