"""Which counters, services and calls a zone or services board shows."""

import pytest
from antre_contracts import load_catalog
from display.filters import BoardFilter, UnknownFilter

CATALOG = load_catalog("deploy/catalog/mpp-kutai-timur.toml")


def test_a_zone_board_shows_its_counters_and_services_only() -> None:
    view = BoardFilter.parse(CATALOG, "a", None)
    assert view.counters == {"loket-1", "loket-2", "loket-3"}
    assert view.shows_service("ktp-el") and not view.shows_service("pkb-tahunan")


def test_an_update_is_cut_to_what_the_board_shows() -> None:
    view = BoardFilter.parse(CATALOG, "b", None)
    update = {
        "type": "antre.ticket.called",
        "counter": {"id": "loket-1"},
        "waiting": {"ktp-el": 3},
        "call": {"counter_id": "loket-1", "service_id": "ktp-el"},
    }
    assert view.update(update) is None
    update["waiting"] = {"pkb-tahunan": 2}
    assert view.update(update) == {"type": "antre.ticket.called", "waiting": {"pkb-tahunan": 2}}


def test_a_services_board_shows_counters_serving_them() -> None:
    view = BoardFilter.parse(CATALOG, None, "akta")
    assert view.counters == {"loket-2", "loket-3"}
    assert view.shows_call({"counter_id": "loket-9", "service_id": "akta"})


def test_an_unknown_zone_is_refused_by_name() -> None:
    with pytest.raises(UnknownFilter, match="zz"):
        BoardFilter.parse(CATALOG, "zz", None)


def test_no_filter_shows_the_whole_hall_unchanged() -> None:
    update = {"type": "x", "counter": {"id": "loket-1"}}
    assert BoardFilter.parse(CATALOG, None, None).update(update) is update
