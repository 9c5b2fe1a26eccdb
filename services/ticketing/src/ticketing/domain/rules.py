"""Pure queue rules that need no Redis: opening hours, quotas, phone numbers, estimates."""

from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from antre_contracts.catalog import WEEKDAYS, Service, Site


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
        return Refusal("closed", "the site is closed")
    if service.last_ticket is not None and local.time() >= service.last_ticket:
        return Refusal("last_ticket_passed", f"last ticket at {service.last_ticket:%H.%M}")
    return None


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
