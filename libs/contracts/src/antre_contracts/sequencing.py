"""Strict order per queue for consumers: apply the next event, drop copies, hold gaps.

Ticketing numbers each partition key's events (`sequence`) within an `epoch`. The relay is
at-least-once and may send an event again behind a later one (a partition can read e2, e1, e2),
so a consumer keeps, per partition key, the position (epoch, last sequence) it has applied and
judges each event by this rule (the display's and the notifier's Lua scripts implement the same
rule, in the same words; `tests/unit/contracts/test_sequencing.py` is its example table):

- an earlier epoch than the kept one: stale (from before a new day or a restore), dropped;
- the same epoch: `sequence <= last` is a copy, dropped; `last + 1` is applied; anything
  beyond is a gap: held, not applied, until the missing events arrive;
- a later epoch: it begins at sequence 1, which is applied; anything beyond is a gap, held.

A key the consumer has never seen counts as (epoch 0, last 0). Events from before epochs
existed carry epoch 0.

Why epochs: ticketing begins every queue's numbering again at 1 each day (the event that
starts the day carries the queue as it is, see `QueueEpochStarted`), and again after its Redis
went back in time (a restore: its sequences would repeat numbers consumers have already
applied). So a consumer that starts with an empty store and finds yesterday's first events
already deleted by Kafka's retention still applies today's from their beginning, and a restore
is recognised instead of being dropped as copies.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class Verdict(StrEnum):
    apply = "apply"
    copy = "copy"  # at or below the last applied sequence of the same epoch
    stale = "stale"  # an earlier epoch
    gap = "gap"  # events are missing before it: held


def verdict(kept: tuple[int, int], epoch: int, sequence: int) -> Verdict:
    """What a consumer that has applied up to `kept` = (epoch, last sequence) does with an
    event at (epoch, sequence)."""
    kept_epoch, last = kept
    if epoch < kept_epoch:
        return Verdict.stale
    if epoch == kept_epoch:
        if sequence <= last:
            return Verdict.copy
        return Verdict.apply if sequence == last + 1 else Verdict.gap
    return Verdict.apply if sequence == 1 else Verdict.gap


def in_sequence_order(items: Sequence[T], position: Callable[[T], tuple[str, int, int]]) -> list[T]:
    """The items with each partition key's events sorted by (epoch, sequence), in the places
    that key's events already had: e2, x7, e1 becomes e1, x7, e2. Events of different keys
    keep their order to each other, so a batch read as e2, e1 (or a held e2 followed by the
    e1 that fills its gap) is applied in one pass. `position(item)` = (key, epoch, sequence)."""
    places: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        places[position(item)[0]].append(i)
    out = list(items)
    for indexes in places.values():
        if len(indexes) < 2:
            continue
        ordered = sorted((items[i] for i in indexes), key=lambda it: position(it)[1:])
        for i, item in zip(indexes, ordered, strict=True):
            out[i] = item
    return out
