"""The IKM (Indeks Kepuasan Masyarakat) of PermenPAN-RB 14/2017, from answer counts.

The Permen's method, per unit and period:
- NRR (nilai rata-rata) of an element = the sum of its scores ÷ the answers to it;
- NRR tertimbang = NRR × the element's weight; nine elements weigh 1/9 each. The Permen's own
  worked tables write the weight as 0.111; with exact 1/9 an IKM differs from theirs by at most
  25 × 9 × 4 × (1/9 − 0.111) = 0.1 (all elements at 4: 100.00 against 99.90), which is why this
  module uses 1/9 (an all-4 unit is then 100, the top of the A interval);
- IKM = Σ NRR tertimbang × 25 (the 1–4 scale to 25–100);
- the quality letter of the IKM by the Permen's intervals (texts.QUALITY), on the IKM rounded
  half up to two decimals, as the intervals are written (88.30 B, 88.31 A).

The minimum sample is Krejcie and Morgan's (1970) table, which the Permen prescribes. Its rows
are below; 90 of the 91 equal S = X²·N·P(1−P) / (d²·(N−1) + X²·P(1−P)) with X² = 3.841,
P = 0.5, d = 0.05, rounded half up (checked in tests/unit/survey/test_ikm.py); the row of
100,000 says 384 where the formula gives 383, and the table is kept as published. A population
between rows takes the next row up (the table's users do so; it never asks too few); one below
10 is asked in full, and one above 1,000,000 needs 384. The rows were written from the published
table and checked against the formula, not against a scan of the Permen's annex.
"""

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from survey.texts import ELEMENTS, QUALITY

Counts = Mapping[str, Mapping[int, int]]
"""Per element code (U1..U9), per score 1..4: how many answers gave it."""

WEIGHT = 1 / 9

_KM_ROWS = (
    (10, 10), (15, 14), (20, 19), (25, 24), (30, 28), (35, 32), (40, 36), (45, 40), (50, 44),
    (55, 48), (60, 52), (65, 56), (70, 59), (75, 63), (80, 66), (85, 70), (90, 73), (95, 76),
    (100, 80), (110, 86), (120, 92), (130, 97), (140, 103), (150, 108), (160, 113), (170, 118),
    (180, 123), (190, 127), (200, 132), (210, 136), (220, 140), (230, 144), (240, 148),
    (250, 152), (260, 155), (270, 159), (280, 162), (290, 165), (300, 169), (320, 175),
    (340, 181), (360, 186), (380, 191), (400, 196), (420, 201), (440, 205), (460, 210),
    (480, 214), (500, 217), (550, 226), (600, 234), (650, 242), (700, 248), (750, 254),
    (800, 260), (850, 265), (900, 269), (950, 274), (1000, 278), (1100, 285), (1200, 291),
    (1300, 297), (1400, 302), (1500, 306), (1600, 310), (1700, 313), (1800, 317), (1900, 320),
    (2000, 322), (2200, 327), (2400, 331), (2600, 335), (2800, 338), (3000, 341), (3500, 346),
    (4000, 351), (4500, 354), (5000, 357), (6000, 361), (7000, 364), (8000, 367), (9000, 368),
    (10000, 370), (15000, 375), (20000, 377), (30000, 379), (40000, 380), (50000, 381),
    (75000, 382), (100000, 384), (1000000, 384),
)  # fmt: skip
KREJCIE_MORGAN: tuple[tuple[int, int], ...] = _KM_ROWS
"""(population N, sample S), as published (Krejcie & Morgan 1970, Table 1)."""
_KM_N = [n for n, _ in KREJCIE_MORGAN]


@dataclass(frozen=True)
class ElementScore:
    code: str
    name: str
    respondents: int
    nrr: float
    """The mean score, unrounded."""
    weighted: float
    """nrr × 1/9."""


@dataclass(frozen=True)
class Ikm:
    respondents: int
    elements: tuple[ElementScore, ...]
    weighted_sum: float
    index: float
    """weighted_sum × 25, unrounded."""
    rounded: float
    """index rounded half up to two decimals: what is reported and what the letter reads."""
    letter: str
    mutu: str
    population: int | None
    minimum_sample: int | None
    enough: bool | None
    """respondents ≥ minimum_sample (None without a population)."""


def round2(value: float) -> float:
    """Half up to two decimals (Python's round() rounds half to even on binary floats)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def letter_for(value: float) -> tuple[str, str]:
    """(letter, mutu) of an IKM, read on its two-decimal rounding."""
    v = round2(value)
    for q in QUALITY:
        if v >= q.ikm_from:
            return q.letter, q.mutu
    if v >= 0:
        return QUALITY[-1].letter, QUALITY[-1].mutu
    raise ValueError(f"an IKM cannot be negative: {value}")


def minimum_sample(population: int) -> int:
    """Respondents the Permen asks for out of `population` served (Krejcie–Morgan)."""
    if population < 0:
        raise ValueError("a population cannot be negative")
    if population <= _KM_N[0]:
        return population
    i = bisect.bisect_left(_KM_N, population)
    sample = KREJCIE_MORGAN[min(i, len(KREJCIE_MORGAN) - 1)][1]
    return min(sample, population)


def compute(counts: Counts, population: int | None = None) -> Ikm | None:
    """The IKM of these answers (None when there are none). Every answer gives all nine
    elements, so each element must have the same number of answers."""
    known = {e.code for e in ELEMENTS}
    unknown = set(counts) - known
    if unknown:
        raise ValueError(f"unknown elements: {', '.join(sorted(unknown))}")
    totals = {}
    for e in ELEMENTS:
        by_score = counts.get(e.code, {})
        bad = [s for s in by_score if s not in (1, 2, 3, 4)]
        if bad or any(n < 0 for n in by_score.values()):
            raise ValueError(f"{e.code}: scores are 1..4 with counts ≥ 0, got {dict(by_score)}")
        totals[e.code] = (sum(by_score.values()), sum(s * n for s, n in by_score.items()))
    answered = {n for n, _ in totals.values()}
    if len(answered) != 1:
        raise ValueError(f"the elements were answered unequally often: {sorted(answered)}")
    respondents = answered.pop()
    if respondents == 0:
        return None
    elements = tuple(
        ElementScore(
            e.code,
            e.name,
            respondents,
            totals[e.code][1] / respondents,
            totals[e.code][1] / respondents * WEIGHT,
        )
        for e in ELEMENTS
    )
    weighted_sum = sum(e.weighted for e in elements)
    index = weighted_sum * 25
    rounded = round2(index)
    letter, mutu = letter_for(rounded)
    sample = None if population is None else minimum_sample(population)
    return Ikm(
        respondents=respondents,
        elements=elements,
        weighted_sum=weighted_sum,
        index=index,
        rounded=rounded,
        letter=letter,
        mutu=mutu,
        population=population,
        minimum_sample=sample,
        enough=None if sample is None else respondents >= sample,
    )
