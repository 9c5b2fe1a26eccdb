"""The figures per officer from queue.lua's counts (pure)."""

from datetime import date

from ticketing.domain.figures import COLUMNS, p90, summarise


def test_p90_is_the_nearest_rank() -> None:
    assert p90([]) is None
    assert p90([5]) == 5
    assert p90(list(range(1, 11))) == 9  # ceil(0.9 × 10) = 9th
    assert p90(list(range(1, 12))) == 10  # ceil(9.9) = 10th
    assert p90([300, 100, 200]) == 300


def test_summary_of_an_officers_day() -> None:
    raw = {
        "officer_id": "petugas-01", "served": 3, "no_show": 1, "transferred": 1, "parked": 2,
        "calls": 4, "wait_s": 1000, "called_back": 1, "chosen": 2, "out_of_order": 1,
        "service_times": ["300", "420", "60"],
    }  # fmt: skip
    row = summarise(raw, "Rahmawati", date(2026, 12, 4))
    assert list(row) == list(COLUMNS)
    assert row["day"] == "2026-12-04" and row["officer_name"] == "Rahmawati"
    assert (row["served"], row["no_show"], row["transferred"], row["parked"]) == (3, 1, 1, 2)
    assert (row["called"], row["called_back"], row["chosen"], row["out_of_order"]) == (4, 1, 2, 1)
    assert (row["mean_service_s"], row["p90_service_s"], row["mean_wait_s"]) == (260.0, 420, 250.0)


def test_an_officer_with_nothing_yet_has_no_means() -> None:
    row = summarise({"officer_id": "petugas-02"}, "Budi", date(2026, 12, 4))
    assert row["served"] == 0 and row["mean_service_s"] is None and row["mean_wait_s"] is None
