"""Which notices each queue event calls for (pure rules)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from antre_contracts.events import (
    Outcome,
    Priority,
    TicketCalled,
    TicketCompleted,
    TicketIssued,
    TicketTransferred,
)
from notifier.notices import Rules, notice_id, plan

AT = datetime(2026, 11, 28, 2, 20, tzinfo=UTC)  # 10.20 WITA
RULES = Rules(
    near_turn_for=lambda s: 5 if s == "kk" else 3,
    tz=ZoneInfo("Asia/Makassar"),
    tz_label="WITA",
    survey_url="https://survei.example/s",
)


def issued(
    ahead: int = 6, phone: str | None = "tok", upcoming: list[str] | None = None
) -> TicketIssued:
    return TicketIssued(
        ticket_id="t1", number="A-017", service_id="ktp-el", agency_id="disdukcapil",
        service_day=AT.date(), priority=Priority.regular, channel="kiosk", issued_at=AT,
        people_ahead=ahead, estimated_wait_s=900, waiting_count=ahead + 1,
        upcoming=[], phone_encrypted=phone,
    )  # fmt: skip


def called(upcoming: list[str], phone: str | None = "tok") -> TicketCalled:
    return TicketCalled(
        ticket_id="t0", number="A-016", service_id="ktp-el", counter_id="loket-3",
        counter_number=3, officer_id="o", recall=False, call_count=1, called_at=AT,
        waited_s=60, counter_seq=1, waiting_count=len(upcoming), upcoming=upcoming,
        phone_encrypted=phone,
    )  # fmt: skip


def test_issue_sms_carries_people_ahead_and_eta_in_wita() -> None:
    p = plan(issued(), RULES)
    [n] = p.notices
    assert (n.kind, n.phone, n.id) == ("issued", "event", "t1|issued|")
    assert n.fields == {
        "number": "A-017",
        "people_ahead": 6,
        "eta": "10.35 WITA",
        "wait_minutes": 15,
    }
    assert p.ticket is not None and p.ticket.service_id == "ktp-el"
    assert p.skips == []


def test_a_ticket_without_phone_gets_nothing_and_is_not_remembered() -> None:
    p = plan(issued(phone=None), RULES)
    assert p.notices == [] and p.ticket is None


def test_near_turn_goes_to_the_ticket_at_index_n_minus_1_of_upcoming() -> None:
    p = plan(called(["a", "b", "c", "d"]), RULES)
    near = [n for n in p.notices if n.kind == "near_turn"]
    assert [(n.ticket_id, n.phone, n.fields["people_ahead"]) for n in near] == [("c", "stored", 2)]


def test_no_near_turn_when_fewer_than_n_wait() -> None:
    assert [n.kind for n in plan(called(["a", "b"]), RULES).notices] == ["called"]


def test_n_is_per_service() -> None:
    e = TicketTransferred(
        ticket_id="t1", number="A-017", from_service_id="ktp-el", service_id="kk",
        counter_id="loket-1", officer_id="o", transferred_at=AT, counter_seq=2,
        people_ahead=9, estimated_wait_s=60, waiting_count=10,
        upcoming=["a", "b", "c", "d", "e"], phone_encrypted="tok",
    )  # fmt: skip
    p = plan(e, RULES)
    assert [(n.ticket_id, n.kind, n.service_id) for n in p.notices] == [("e", "near_turn", "kk")]
    assert p.ticket is not None and p.ticket.service_id == "kk"


def test_ticket_issued_already_within_n_gets_no_near_turn_sms() -> None:
    assert plan(issued(ahead=2), RULES).skips == [notice_id("t1", "near_turn", "ktp-el")]
    assert plan(issued(ahead=3), RULES).skips == []


def test_called_sms_names_the_counter_and_is_keyed_by_the_wait() -> None:
    [n] = plan(called([]), RULES).notices
    assert (n.id, n.fields) == ("t0|called|ktp-el", {"number": "A-016", "counter": 3})


def test_a_parked_ticket_called_back_hears_again_once_per_parking() -> None:
    first = plan(called([]), RULES).notices[0].id
    back = called([]).model_copy(update={"how": "parked", "park_count": 1})
    again = called([]).model_copy(update={"how": "parked", "park_count": 2})
    returned = called([]).model_copy(update={"how": "returned"})
    chosen = called([]).model_copy(update={"how": "number", "out_of_order": True})
    ids = [plan(e, RULES).notices[0].id for e in (back, again, returned, chosen)]
    assert ids == [
        "t0|called|ktp-el|parked1", "t0|called|ktp-el|parked2", "t0|called|ktp-el|returned",
        first,  # a waiting ticket chosen by number is its first call: the same notice
    ]  # fmt: skip


def test_survey_only_after_served_and_only_when_configured() -> None:
    def done(outcome: Outcome) -> TicketCompleted:
        return TicketCompleted(
            ticket_id="t1", number="A-017", service_id="ktp-el", counter_id="loket-3",
            officer_id="o", outcome=outcome, completed_at=AT, counter_seq=3, waiting_count=0,
        )  # fmt: skip

    [n] = plan(done(Outcome.served), RULES).notices
    assert (n.kind, n.phone, n.fields["url"]) == ("survey", "stored", "https://survei.example/s")
    assert plan(done(Outcome.no_show), RULES).notices == []
    no_url = Rules(RULES.near_turn_for, RULES.tz, RULES.tz_label, None)
    assert plan(done(Outcome.served), no_url).notices == []
    own = Rules(RULES.near_turn_for, RULES.tz, RULES.tz_label, "https://mpp.example/s/{ticket_id}")
    [n] = plan(done(Outcome.served), own).notices
    assert n.fields["url"] == "https://mpp.example/s/t1"  # Antre's own page, per ticket


def booked_at(phone: str | None = "tok", slot: datetime = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)):
    from antre_contracts.events import BookingCreated

    return BookingCreated(
        booking_code="K7PM3QXA", service_id="ktp-el", agency_id="disdukcapil",
        service_day=slot.date(), slot_start=slot, slot_end=slot.replace(minute=30),
        created_at=AT, phone_encrypted=phone,
    )  # fmt: skip


def test_a_booking_with_a_phone_is_confirmed_once_per_slot_and_reminded_the_day_before():
    from antre_contracts.events import BookingMoved, BookingReminderDue

    made = plan(booked_at(), RULES)
    [confirm] = made.notices
    assert confirm.kind == "booked" and confirm.phone == "event" and made.phone_token == "tok"
    assert confirm.fields == {
        "code": "K7PM-3QXA",
        "day": "Selasa 01-12-2026",
        "time": "09.00 WITA",
        "checkin_from": "08.30",
        "checkin_until": "09.15",
    }
    later = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    moved = BookingMoved(
        booking_code="K7PM3QXA", service_id="ktp-el", agency_id="disdukcapil",
        service_day=later.date(), slot_start=later, slot_end=later.replace(minute=30),
        from_day=AT.date(), from_slot_start=booked_at().slot_start, moved_at=AT,
        phone_encrypted="tok",
    )  # fmt: skip
    [again] = plan(moved, RULES).notices
    assert again.kind == "booked" and again.id != confirm.id  # the new slot is confirmed
    assert again.fields["time"] == "10.00 WITA"
    due = BookingReminderDue(
        booking_code="K7PM3QXA", service_id="ktp-el", agency_id="disdukcapil",
        service_day=later.date(), slot_start=later, slot_end=later.replace(minute=30),
        phone_encrypted="tok", due_at=AT,
    )  # fmt: skip
    [reminder] = plan(due, RULES).notices
    assert reminder.kind == "reminder" and reminder.ticket_id == again.ticket_id
    assert plan(booked_at(phone=None), RULES).notices == []


def test_a_visit_step_served_texts_where_to_go_next_and_a_transfer_does_not():
    move = dict(
        ticket_id="t1", number="A-017", from_service_id="ktp-el", service_id="jkn",
        counter_id="loket-1", officer_id="o", transferred_at=AT, counter_seq=3,
        people_ahead=4, estimated_wait_s=600, waiting_count=5, phone_encrypted="tok",
    )  # fmt: skip
    [notice] = plan(
        TicketTransferred(**move, reason="visit", visit=["ktp-el", "jkn"]), RULES
    ).notices
    assert notice.kind == "next_step" and notice.service_id == "jkn"
    assert notice.fields == {"number": "A-017", "people_ahead": 4}
    assert plan(TicketTransferred(**move), RULES).notices == []  # an officer's transfer
