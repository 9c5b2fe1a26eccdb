"""How a queue event becomes a board change (pure)."""

from datetime import UTC, datetime
from typing import Any

import orjson
from antre_contracts import parse_event
from display.projection import change_for

AT = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)


def event(type_: str, pk: str, seq: int, **data: Any) -> bytes:
    body = {
        "specversion": "1.0",
        "id": f"e-{pk}-{seq}",
        "source": "/antre/kutim/ticketing",
        "type": type_,
        "time": AT.isoformat(),
        "subject": "x",
        "partitionkey": pk,
        "sequence": seq,
        "data": data,
    }
    return orjson.dumps(body)


def called(seq: int = 5, counter_seq: int = 2, recall: bool = False) -> bytes:
    return event(
        "antre.ticket.called", "kutim:ktp-el", seq, ticket_id="t-17", number="A-017",
        service_id="ktp-el", counter_id="loket-3", counter_number=3, officer_id="o-3",
        recall=recall, call_count=1, called_at=AT.isoformat(), waited_s=60,
        counter_seq=counter_seq, waiting_count=4,
    )  # fmt: skip


def test_a_call_sets_the_counter_the_waiting_count_and_the_spoken_text() -> None:
    change = change_for("kutim", *parse_event(called()))
    assert change["pk"] == "kutim:ktp-el" and change["seq"] == 5
    assert change["waiting"] == {"service": "ktp-el", "count": 4}
    assert change["counter"]["id"] == "loket-3" and change["counter"]["seq"] == 2
    assert change["counter"]["set"]["ticket"]["status"] == "called"
    assert change["call"]["announce"] == "Nomor antrean A nol satu tujuh, silakan menuju loket tiga"
    assert change["call"]["at"] == "2026-11-28T02:30:00.000000Z"


def test_a_waiting_count_from_another_queue_key_is_not_taken() -> None:
    raw = called().replace(b'"kutim:ktp-el"', b'"kutim:counter:loket-3"')
    assert "waiting" not in change_for("kutim", *parse_event(raw))


def test_closing_a_counter_clears_its_ticket() -> None:
    raw = event(
        "antre.counter.state_changed", "kutim:counter:loket-3", 9, counter_id="loket-3",
        counter_number=3, state="closed", services=["akta"], changed_at=AT.isoformat(),
        counter_seq=7,
    )  # fmt: skip
    change = change_for("kutim", *parse_event(raw))
    assert change["counter"]["set"] == {
        "state": "closed",
        "reason": None,
        "number": 3,
        "ticket": None,
    }
    assert "call" not in change and "waiting" not in change


def test_an_issued_ticket_only_moves_the_waiting_count() -> None:
    raw = event(
        "antre.ticket.issued", "kutim:kk", 3, ticket_id="t-1", number="B-001", service_id="kk",
        agency_id="disdukcapil", service_day="2026-11-28", priority="regular", channel="kiosk",
        issued_at=AT.isoformat(), people_ahead=2, estimated_wait_s=600, waiting_count=3,
    )  # fmt: skip
    change = change_for("kutim", *parse_event(raw))
    assert change["waiting"] == {"service": "kk", "count": 3}
    assert "counter" not in change and "call" not in change


def test_a_call_names_its_ticket_by_number_never_by_id() -> None:
    change = change_for("kutim", *parse_event(called()))
    assert "t-17" not in orjson.dumps(change).decode()
    assert change["call"]["number"] == change["counter"]["set"]["ticket"]["number"] == "A-017"


def test_a_parked_ticket_shows_on_its_counter_as_parked_and_a_call_back_is_a_call() -> None:
    raw = event(
        "antre.ticket.parked", "kutim:ktp-el", 7, ticket_id="t-17", number="A-017",
        service_id="ktp-el", counter_id="loket-3", officer_id="o-3", reason="fotokopi",
        parked_at=AT.isoformat(), park_count=1, counter_seq=4, waiting_count=3, parked_count=1,
    )  # fmt: skip
    change = change_for("kutim", *parse_event(raw))
    assert change["counter"]["set"]["ticket"]["status"] == "parked"
    assert change["waiting"] == {"service": "ktp-el", "count": 3}
    assert "call" not in change
    back = called().replace(b'"waiting_count"', b'"how":"parked","park_count":1,"waiting_count"')
    again = change_for("kutim", *parse_event(back))
    assert again["call"]["number"] == "A-017" and again["call"]["recall"] is False
