"""The fault run's SMS reckoning (bench/faults/harness.sms_check), on made-up events and SMS.

A near-turn SMS names the agency, not the service: a ticket transferred to another service of
the same agency rightly gets a second one (test_fault_day once failed on exactly that)."""

from typing import Any

from bench.faults.boards import Sms, SmsWatch
from bench.faults.harness import sms_check
from tools.simulator.drive import Tally

TICKET = "20261204-A024-1"
PHONE = "081296689574"
NEAR = "Nomor antrean A-024: giliran Anda sudah dekat, tinggal 2 orang lagi."


def _event(kind: str, **data: Any) -> dict[str, Any]:
    return {"type": f"antre.ticket.{kind}", "subject": TICKET, "data": data}


def _check(events: list[dict[str, Any]], texts: list[str]) -> dict[str, Any]:
    tally = Tally()
    tally.phone_of[TICKET] = PHONE
    sms = SmsWatch.__new__(SmsWatch)
    sms.seen = [Sms(0.0, "+6281296689574", t) for t in texts]
    return sms_check(tally, events, sms)


def test_a_second_near_turn_sms_after_a_transfer_is_due() -> None:
    events = [
        _event("issued", service_id="ktp-el"),
        _event("transferred", service_id="kk"),
    ]
    assert _check(events, ["Nomor antrean A-024 (x).", NEAR, NEAR])["near_turn_twice"] == []


def test_a_second_near_turn_sms_for_the_same_service_is_reported() -> None:
    events = [_event("issued", service_id="ktp-el")]
    assert _check(events, ["Nomor antrean A-024 (x).", NEAR, NEAR])["near_turn_twice"] == [TICKET]


def test_a_third_near_turn_sms_after_one_transfer_is_reported() -> None:
    events = [
        _event("issued", service_id="ktp-el"),
        _event("transferred", service_id="kk"),
    ]
    assert _check(events, [NEAR, NEAR, NEAR])["near_turn_twice"] == [TICKET]
