"""SMS templates: Bahasa Indonesia, fields filled, one SMS long."""

from pathlib import Path

import pytest
from antre_contracts.catalog import load_catalog
from notifier.texts import PACKAGED, TemplateError, Templates, gsm7_length, parse_templates, render

CATALOG = load_catalog(Path(__file__).resolve().parents[3] / "deploy/catalog/mpp-kutai-timur.toml")
WORST = {
    "number": "AB-999",
    "people_ahead": 999,
    "eta": "15.59 WITA",
    "wait_minutes": 999,
    "position": 3,
    "counter": 15,
    "url": "https://mpp.kutaitimurkab.go.id/survei",
    "code": "K7PM-3QXA",
    "day": "Minggu 30-12-2026",
    "time": "15.30 WITA",
    "checkin_from": "15.00",
    "checkin_until": "15.45",
}


def test_issued_text_says_number_people_ahead_and_time_in_wita() -> None:
    t = Templates()
    text = t.render(
        "issued",
        {**WORST, "number": "A-017", "people_ahead": 4, "eta": "10.35 WITA",
         "service": "Perekaman & Pencetakan KTP-el", "agency": "Disdukcapil"},
    )  # fmt: skip
    assert text == (
        "Nomor antrean A-017 (Disdukcapil, Perekaman & Pencetakan KTP-el). "
        "4 orang di depan Anda, perkiraan dipanggil pukul 10.35 WITA."
    )


def test_called_text_names_the_counter() -> None:
    text = Templates().render("called", {"number": "A-017", "counter": 3, "agency": "Samsat"})
    assert text == "Nomor antrean A-017 dipanggil. Silakan menuju loket 3 (Samsat)."


@pytest.mark.parametrize("service", CATALOG.services, ids=lambda s: s.id)
def test_every_text_fits_one_gsm7_sms_for_every_service(service: object) -> None:
    templates = parse_templates(PACKAGED.read_text())
    svc = CATALOG.service_by_id[service.id]  # type: ignore[attr-defined]
    fields = {**WORST, "service": svc.name, "agency": CATALOG.agency_by_id[svc.agency].short_name}
    for kind in templates:
        n = gsm7_length(render(templates, kind, fields))
        assert n is not None and n <= 160, (kind, n)


def test_texts_use_kbbi_spelling() -> None:
    raw = PACKAGED.read_text().lower()
    assert "antrian" not in raw and "silahkan" not in raw
    assert "antrean" in raw and "silakan" in raw


def test_gsm7_length_counts_extension_chars_double_and_rejects_emoji() -> None:
    assert gsm7_length("A-017 loket 3") == 13
    assert gsm7_length("[x]") == 5
    assert gsm7_length("halo 🙂") is None


def test_a_template_naming_an_unknown_field_is_refused() -> None:
    with pytest.raises(TemplateError):
        render({"called": "Nomor {nomor}"}, "called", {"number": "A-1"})


def test_a_file_missing_a_kind_is_refused() -> None:
    with pytest.raises(TemplateError, match="survey"):
        parse_templates('[issued]\ntext="a"\n[near_turn]\ntext="b"\n[called]\ntext="c"\n')


def test_staff_edit_is_picked_up_and_a_broken_edit_keeps_the_last_good(tmp_path: Path) -> None:
    f = tmp_path / "sms.toml"
    f.write_text(PACKAGED.read_text())
    t = Templates(f)
    edited = PACKAGED.read_text().replace("dipanggil. Silakan", "DIPANGGIL. Silakan")
    f.write_text(edited)
    t._checked = 0.0
    import os

    os.utime(f, (1, 1))
    assert "DIPANGGIL" in t.render("called", {"number": "A-1", "counter": 2, "agency": "x"})
    f.write_text("[issued\n")
    os.utime(f, (2, 2))
    t._checked = 0.0
    assert "DIPANGGIL" in t.render("called", {"number": "A-1", "counter": 2, "agency": "x"})


def test_a_sites_template_file_from_before_bookings_gets_the_packaged_booking_texts():
    from notifier.texts import KINDS, parse_templates

    old = "\n".join(
        f'[{kind}]\ntext = "{kind} {{number}}"'
        for kind in ("issued", "near_turn", "called", "survey")
    )
    templates = parse_templates(old)
    assert set(templates) == set(KINDS)
    assert "{code}" in templates["booked"] and templates["issued"] == "issued {number}"
