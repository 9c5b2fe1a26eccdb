"""What a board may carry: numbers, never ticket ids or priorities, whatever Redis holds."""

from display.public import public_call, public_tile, public_update

# As an older version stored them (ticket ids in calls and tiles), with a field never listed.
CALL = {
    "ticket_id": "kutim-20261128-A-017", "number": "A-017", "service_id": "ktp-el",
    "counter_id": "loket-3", "counter_number": 3, "recall": False,
    "at": "2026-11-28T02:30:00.000000Z", "announce": "Nomor antrean A nol satu tujuh",
    "priority": "lansia",
}  # fmt: skip
TILE = {
    "id": "loket-3", "state": "open", "number": 3, "seq": 2, "epoch": 0, "reason": None,
    "ticket": {"ticket_id": "kutim-20261128-A-017", "number": "A-017", "service_id": "ktp-el",
               "status": "called", "at": "2026-11-28T02:30:00.000000Z"},
}  # fmt: skip


def test_a_stored_call_reaches_boards_without_its_ticket_id_or_priority() -> None:
    call = public_call(CALL)
    assert "ticket_id" not in call and "priority" not in call
    assert call == {k: v for k, v in CALL.items() if k not in ("ticket_id", "priority")}


def test_a_counter_tile_shows_its_ticket_by_number() -> None:
    tile = public_tile(TILE)
    assert tile["ticket"] == {
        "number": "A-017",
        "service_id": "ktp-el",
        "status": "called",
        "at": "2026-11-28T02:30:00.000000Z",
    }
    assert public_tile({**TILE, "ticket": None})["ticket"] is None  # a closed counter


def test_every_part_of_an_update_is_cut_to_what_a_board_may_carry() -> None:
    update = {
        "type": "antre.ticket.called",
        "counter": TILE,
        "waiting": {"ktp-el": 4},
        "call": CALL,
        "recent": [CALL],
        "upcoming": ["kutim-20261128-A-018"],
    }
    public = public_update(update)
    assert set(public) == {"type", "counter", "waiting", "call", "recent"}
    assert "ticket_id" not in str(public) and "lansia" not in str(public)
    assert public["recent"] == [public["call"]]


def test_a_day_cleared_of_calls_stays_an_empty_list_as_lua_wrote_it() -> None:
    assert public_update({"type": "antre.queue.epoch_started", "recent": {}})["recent"] == {}
