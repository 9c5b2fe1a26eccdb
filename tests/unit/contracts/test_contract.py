"""The event contract: envelopes parse, bad ones say why, catalogs check their references."""

import json
import typing

import pytest
from antre_contracts import (
    EVENT_TYPES,
    InvalidEvent,
    PhoneCipher,
    TicketCalled,
    load_catalog,
    mask,
    parse_event,
)
from antre_contracts.catalog import Catalog
from antre_contracts.envelope import QueueEventDoc
from antre_contracts.phone import DEV_PHONE_KEY
from ticketing.config import REPO

CALLED = {
    "specversion": "1.0",
    "id": "e1",
    "source": "/antre/kutim/ticketing",
    "type": "antre.ticket.called",
    "time": "2026-11-30T02:00:00.000Z",
    "subject": "20261130-A017-ab12",
    "datacontenttype": "application/json",
    "partitionkey": "kutim:ktp-el",
    "sequence": 4,
    "data": {
        "ticket_id": "20261130-A017-ab12",
        "number": "A-017",
        "service_id": "ktp-el",
        "counter_id": "loket-3",
        "counter_number": 3,
        "officer_id": "petugas-03",
        "recall": False,
        "call_count": 1,
        "called_at": "2026-11-30T02:00:00.000Z",
        "waited_s": 600,
        "counter_seq": 9,
        "waiting_count": 0,
        "upcoming": {},
    },
}


def test_a_called_event_parses_and_an_empty_lua_table_is_an_empty_list():
    envelope, data = parse_event(json.dumps(CALLED))
    assert envelope.sequence == 4 and isinstance(data, TicketCalled)
    assert data.upcoming == [] and data.number == "A-017"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"type": "antre.ticket.teleported"}, "unknown event type"),
        ({"specversion": "0.3"}, "specversion"),
        ({"sequence": 0}, "sequence"),
        ({"data": {**CALLED["data"], "counter_number": "tiga"}}, "counter_number"),
    ],
)
def test_invalid_events_say_why(change, reason):
    with pytest.raises(InvalidEvent, match=reason):
        parse_event(json.dumps({**CALLED, **change}))


def test_not_json_at_all_is_invalid():
    with pytest.raises(InvalidEvent):
        parse_event(b"\xff\x00 not json")


def test_phone_round_trips_and_masks():
    cipher = PhoneCipher(DEV_PHONE_KEY)
    token = cipher.encrypt("+6281234567890")
    assert "6281234567890" not in token
    assert cipher.decrypt(token) == "+6281234567890"
    assert mask("+6281234567890") == "+62812*****890"


def test_catalog_refuses_a_shared_prefix():
    raw = load_catalog(REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml").model_dump()
    raw["services"][1]["prefix"] = raw["services"][0]["prefix"]
    with pytest.raises(ValueError, match="share a ticket prefix"):
        Catalog.model_validate(raw)


def test_shipped_catalog_is_whole():
    catalog = load_catalog(REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml")
    assert len(catalog.agencies) == 12
    for service in catalog.services:
        assert catalog.counters_serving(service.id), f"nobody serves {service.id}"


def test_the_asyncapi_document_types_every_event() -> None:
    """A new event type must be in the documented union as well as in EVENT_TYPES."""
    documented = set(typing.get_args(QueueEventDoc.model_fields["data"].annotation))
    assert set(EVENT_TYPES.values()) == documented
