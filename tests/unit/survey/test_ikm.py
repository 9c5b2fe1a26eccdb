"""The IKM arithmetic of PermenPAN-RB 14/2017 (survey.domain.ikm), on a worked example."""

import itertools
import math

import pytest
from survey.domain.ikm import KREJCIE_MORGAN, compute, letter_for, minimum_sample, round2
from survey.texts import ELEMENTS, QUALITY

# A worked example, by hand: ten respondents of one unit, their scores for U1..U9.
TEN = [
    (4, 3, 3, 4, 3, 4, 4, 3, 3),
    (3, 3, 2, 4, 3, 3, 4, 2, 3),
    (4, 4, 3, 4, 4, 4, 4, 3, 4),
    (3, 2, 2, 3, 3, 3, 3, 2, 2),
    (4, 3, 3, 4, 3, 3, 4, 3, 3),
    (3, 3, 3, 4, 3, 3, 3, 3, 3),
    (2, 3, 2, 4, 3, 3, 3, 1, 3),
    (4, 4, 4, 4, 4, 4, 4, 4, 4),
    (3, 3, 3, 4, 3, 3, 4, 3, 3),
    (3, 3, 2, 3, 3, 4, 3, 2, 3),
]
# Column sums:          U1 33, U2 31, U3 27, U4 38, U5 32, U6 34, U7 36, U8 26, U9 31
# NRR (sum ÷ 10):       3.3   3.1   2.7   3.8   3.2   3.4   3.6   2.6   3.1
# NRR × 1/9:            .3667 .3444 .3000 .4222 .3556 .3778 .4000 .2889 .3444
# Σ NRR tertimbang = 28.8 / 9 = 3.2; IKM = 3.2 × 25 = 80.00 → B (76.61–88.30), "Baik".
# With the Permen's 0.111: Σ = 28.8 × 0.111 = 3.1968, IKM 79.92: also B.


def counts(rows: list[tuple[int, ...]]) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {e.code: {} for e in ELEMENTS}
    for row in rows:
        for e, score in zip(ELEMENTS, row, strict=True):
            out[e.code][score] = out[e.code].get(score, 0) + 1
    return out


def test_the_worked_example_gives_80_and_b() -> None:
    ikm = compute(counts(TEN), population=12)
    assert ikm is not None
    assert [e.code for e in ikm.elements] == [f"U{i}" for i in range(1, 10)]
    assert [round(e.nrr, 4) for e in ikm.elements] == [3.3, 3.1, 2.7, 3.8, 3.2, 3.4, 3.6, 2.6, 3.1]
    assert [round(e.weighted, 4) for e in ikm.elements] == [
        0.3667, 0.3444, 0.3, 0.4222, 0.3556, 0.3778, 0.4, 0.2889, 0.3444
    ]  # fmt: skip
    assert ikm.weighted_sum == pytest.approx(3.2)
    assert ikm.index == pytest.approx(80.0) and ikm.rounded == 80.0
    assert (ikm.letter, ikm.mutu) == ("B", "Baik")
    assert ikm.respondents == 10 and ikm.population == 12
    assert ikm.minimum_sample == 12 and ikm.enough is False  # 12 served, a census of them: 10 < 12
    # The Permen's 0.111 weight lands in the same letter, 0.08 lower.
    assert round(28.8 * 0.111 * 25, 2) == 79.92 and letter_for(79.92)[0] == "B"


def test_all_fours_are_100_and_all_ones_25() -> None:
    best = compute({e.code: {4: 7} for e in ELEMENTS})
    worst = compute({e.code: {1: 7} for e in ELEMENTS})
    assert best is not None and worst is not None
    assert best.rounded == 100.0 and best.letter == "A" and best.mutu == "Sangat Baik"
    assert worst.rounded == 25.0 and worst.letter == "D" and worst.mutu == "Tidak Baik"
    assert best.population is None and best.enough is None


@pytest.mark.parametrize(
    ("value", "letter"),
    [(100.0, "A"), (88.31, "A"), (88.30, "B"), (88.305, "A"), (88.3049, "B"), (76.61, "B"),
     (76.60, "C"), (76.605, "B"), (65.00, "C"), (64.99, "D"), (64.995, "C"), (25.0, "D")],
)  # fmt: skip
def test_the_permen_intervals_and_rounding_half_up(value: float, letter: str) -> None:
    assert letter_for(value)[0] == letter


def test_half_up_not_half_even() -> None:
    assert round2(88.305) == 88.31 and round2(76.605) == 76.61 and round2(0.125) == 0.13


def test_the_conversion_table_is_contiguous() -> None:
    assert [q.letter for q in QUALITY] == ["A", "B", "C", "D"]
    for upper, lower in itertools.pairwise(QUALITY):
        assert round(upper.ikm_from - lower.ikm_to, 2) == 0.01


@pytest.mark.parametrize(
    ("population", "sample"),
    [(0, 0), (6, 6), (10, 10), (11, 11), (12, 12), (16, 16), (50, 44), (100, 80), (101, 86),
     (200, 132), (500, 217), (1000, 278), (1500, 306), (5000, 357), (10000, 370),
     (75000, 382), (100000, 384), (1000000, 384), (5000000, 384)],
)  # fmt: skip
def test_the_krejcie_morgan_minimum_sample(population: int, sample: int) -> None:
    # Between rows the next row up is taken (101 → the row of 110: 86); never more than the
    # population itself (11 → 11, not the 14 of the row of 15).
    assert minimum_sample(population) == sample


def test_the_table_rows_are_the_formula_but_one() -> None:
    """S = X²NP(1−P) / (d²(N−1) + X²P(1−P)), X² 3.841, P 0.5, d 0.05, rounded half up: every
    row but 100,000 (the published 384; the formula gives 383)."""
    differ = []
    for n, s in KREJCIE_MORGAN:
        formula = 3.841 * n * 0.25 / (0.0025 * (n - 1) + 3.841 * 0.25)
        if math.floor(formula + 0.5) != s:
            differ.append((n, s, math.floor(formula + 0.5)))
    assert differ == [(100000, 384, 383)]


def test_bad_counts_are_refused() -> None:
    ok = counts(TEN)
    with pytest.raises(ValueError, match="unequally"):
        compute({**ok, "U3": {4: 9}})
    with pytest.raises(ValueError, match="U9"):
        compute({**ok, "U9": {5: 10}})
    with pytest.raises(ValueError, match="unknown"):
        compute({**ok, "U10": {4: 10}})
    assert compute({}) is None and compute({e.code: {} for e in ELEMENTS}) is None


def test_the_questionnaire_has_nine_elements_of_four_distinct_answers() -> None:
    assert [e.code for e in ELEMENTS] == [f"U{i}" for i in range(1, 10)]
    assert ELEMENTS[7].name.startswith("Penanganan pengaduan") and ELEMENTS[8].name.startswith(
        "Sarana"
    )
    for e in ELEMENTS:
        assert len(set(e.answers)) == 4 and e.question.endswith("?"), e.code
