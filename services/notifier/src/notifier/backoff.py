"""Bounded exponential backoff with jitter, as a pure function."""

import random


def retry_delay(attempt: int, base_s: float, max_s: float, rand: float | None = None) -> float:
    """Seconds before retry number `attempt` (1-based): half fixed, half random, capped at max_s."""
    ceiling: float = min(max_s, base_s * 2.0 ** (attempt - 1))
    r = random.random() if rand is None else rand
    return ceiling / 2 + r * ceiling / 2
