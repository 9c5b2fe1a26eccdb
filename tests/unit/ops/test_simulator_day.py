"""The simulated day's model: a morning peak, realistic service times, breaks in shifts."""

import statistics
from pathlib import Path

from antre_contracts import load_catalog

from tools.simulator.day import Options, plan_day, rate_weight, service_time_s

REPO = Path(__file__).resolve().parents[3]

CATALOG = load_catalog(REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml")


def test_arrivals_peak_in_the_morning_dip_at_lunch_and_stop_before_closing() -> None:
    plan = plan_day(CATALOG, Options(visitors=3000, seed=1))
    per_hour = [
        sum(1 for a in plan.arrivals if h * 3600 <= a.at_s < (h + 1) * 3600) for h in range(8)
    ]
    assert max(per_hour) == per_hour[1]  # 09:00-10:00
    assert per_hour[4] < per_hour[1] / 2  # lunch
    assert per_hour[7] == 0  # the last half hour: no new tickets
    assert 2700 < len(plan.arrivals) < 3300


def test_same_seed_same_day_other_seed_other_day() -> None:
    a, b, c = (plan_day(CATALOG, Options(seed=s)).arrivals for s in (5, 5, 6))
    assert a == b and a != c


def test_service_times_have_the_catalog_mean() -> None:
    import random

    rng = random.Random(3)
    times = [service_time_s(rng, 7, 0.5) for _ in range(20000)]
    assert abs(statistics.mean(times) - 420) < 10
    assert min(times) > 0


def test_counters_take_lunch_in_two_shifts_so_no_zone_stops() -> None:
    plan = plan_day(CATALOG, Options())
    lunches = {bs[0].at_s for bs in plan.breaks.values() if bs and bs[0].reason == "istirahat"}
    assert len(lunches) == 2
    assert rate_weight(0.0) > 0 and rate_weight(7.25) == 0


def test_a_booking_share_marks_only_bookable_services_and_keeps_the_walk_ins_plan() -> None:
    plain = plan_day(CATALOG, Options(visitors=600, seed=3))
    booked = plan_day(CATALOG, Options(visitors=600, seed=3, booking_share=0.5))
    assert [a.at_s for a in plain.arrivals] == [a.at_s for a in booked.arrivals]
    bookable = {s.id for s in CATALOG.services if s.slot_minutes and s.booking_quota}
    marked = [a for a in booked.arrivals if a.booked]
    assert marked and {a.service_id for a in marked} <= bookable
    assert all(a.priority == "regular" and a.channel == "kiosk" for a in marked)
    share = len(marked) / sum(a.service_id in bookable for a in booked.arrivals)
    assert 0.4 < share < 0.6
