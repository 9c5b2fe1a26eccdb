"""The sequencing rule every consumer applies, as an example table (antre_contracts.sequencing;
the display's and the notifier's Lua scripts implement it in the same words)."""

import pytest
from antre_contracts.sequencing import Verdict, in_sequence_order, verdict

DAY, RESTART = 1_796_198_400_000, 1_796_230_000_000  # two epochs: a day's, a later one
RULES = [
    # (kept: epoch, last), event: (epoch, sequence), verdict, the rule it shows
    ((0, 0), (0, 1), Verdict.apply, "a key never seen begins at 1"),
    ((0, 0), (DAY, 1), Verdict.apply, "the first epoch of a key begins at 1"),
    ((0, 0), (DAY, 3), Verdict.gap, "a key first seen at 3 waits for 1 and 2"),
    ((DAY, 4), (DAY, 5), Verdict.apply, "last + 1 is applied"),
    ((DAY, 4), (DAY, 4), Verdict.copy, "the last one again is a copy"),
    ((DAY, 4), (DAY, 2), Verdict.copy, "an earlier one again is a copy (e2 after e1, e2)"),
    ((DAY, 4), (DAY, 6), Verdict.gap, "beyond last + 1 is held until 5 arrives"),
    ((DAY, 4), (RESTART, 1), Verdict.apply, "a later epoch begins at 1 (new day, restart)"),
    ((DAY, 4), (RESTART, 2), Verdict.gap, "a later epoch's 2 waits for its 1"),
    ((RESTART, 1), (DAY, 5), Verdict.stale, "an earlier epoch's event comes too late: stale"),
    ((DAY, 4), (0, 5), Verdict.stale, "an event from before epochs, after them: stale"),
]


@pytest.mark.parametrize(("kept", "event", "expected", "rule"), RULES, ids=[r[3] for r in RULES])
def test_the_sequencing_rule(
    kept: tuple[int, int], event: tuple[int, int], expected: Verdict, rule: str
) -> None:
    assert verdict(kept, *event) is expected


def test_each_key_is_put_in_sequence_where_its_events_were() -> None:
    events = [("e", 1, 2), ("x", 1, 7), ("e", 1, 1), ("e", 1, 2)]
    assert in_sequence_order(events, lambda ev: ev) == [
        ("e", 1, 1),
        ("x", 1, 7),
        ("e", 1, 2),
        ("e", 1, 2),
    ]


def test_a_later_epoch_sorts_after_an_earlier_one_of_the_same_key() -> None:
    events = [("e", RESTART, 1), ("e", DAY, 9)]
    assert in_sequence_order(events, lambda ev: ev) == [("e", DAY, 9), ("e", RESTART, 1)]


def test_a_held_e2_and_the_e1_that_fills_its_gap_apply_in_one_pass() -> None:
    """e2 held from an earlier batch, then e1 and e2's copy arrive: e1, e2 apply; the copy drops."""
    kept = (DAY, 0)
    batch = in_sequence_order([("q", DAY, 2), ("q", DAY, 1), ("q", DAY, 2)], lambda ev: ev)
    verdicts = []
    for _, epoch, seq in batch:
        v = verdict(kept, epoch, seq)
        verdicts.append(v)
        if v is Verdict.apply:
            kept = (epoch, seq)
    assert verdicts == [Verdict.apply, Verdict.apply, Verdict.copy]
