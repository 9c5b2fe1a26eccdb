"""What a board may carry of a call and of a counter's ticket (pure).

Boards are public: anyone in the hall or on its network reads the page, the snapshot and the
stream. So a ticket appears by its number only: never by its id (the id opens the ticket's
status page) nor with its priority (lansia, disabilitas, ibu_hamil are health data).

The projection stores nothing more (projection.py). The store still passes everything it reads
through here, so that what an older version stored (tiles, recent calls and the stream a board
resumes from stay in Redis across an upgrade) and any field a later change adds without
deciding it is public never reach a board. A field is served only when it is listed below.
"""

from typing import Any

CALL = frozenset(
    {"number", "service_id", "counter_id", "counter_number", "recall", "at", "announce", "sent_ms"}
)
TICKET = frozenset({"number", "service_id", "status", "at"})
TILE = frozenset({"id", "state", "reason", "number", "seq", "epoch", "ticket"})
UPDATE = frozenset({"type", "counter", "waiting", "call", "recent"})


def public_call(call: dict[str, Any]) -> dict[str, Any]:
    """An entry of the hall's recent calls."""
    return {k: v for k, v in call.items() if k in CALL}


def public_tile(tile: dict[str, Any]) -> dict[str, Any]:
    """A counter tile, with the ticket at the counter (if any) by its number."""
    kept = {k: v for k, v in tile.items() if k in TILE}
    ticket = kept.get("ticket")
    if isinstance(ticket, dict):
        kept["ticket"] = {k: v for k, v in ticket.items() if k in TICKET}
    return kept


def public_update(update: dict[str, Any]) -> dict[str, Any]:
    """A board update from the stream."""
    kept = {k: v for k, v in update.items() if k in UPDATE}
    if isinstance(kept.get("counter"), dict):
        kept["counter"] = public_tile(kept["counter"])
    if isinstance(kept.get("call"), dict):
        kept["call"] = public_call(kept["call"])
    if isinstance(kept.get("recent"), list):  # an empty list comes out of Lua as {}
        kept["recent"] = [public_call(c) for c in kept["recent"]]
    return kept
