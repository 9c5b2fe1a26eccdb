"""The hall file: checked against the catalog at start, and what each board gets of it."""

import os
from pathlib import Path

import pytest
from antre_contracts import load_catalog
from display.filters import BoardFilter
from display.hall import HallContentError, board_content, load_hall, media_file

CATALOG = load_catalog("deploy/catalog/mpp-kutai-timur.toml")
SHIPPED = Path("deploy/catalog/mpp-kutai-timur.hall.toml")


def hall_file(folder: Path, body: str, media: tuple[str, ...] = ()) -> Path:
    (folder / "media").mkdir(exist_ok=True)
    for name in media:
        (folder / "media" / name).write_bytes(b"x")
    path = folder / "hall.toml"
    path.write_text(body)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(HallContentError) as caught:
        load_hall(path, CATALOG)
    return str(caught.value)


def test_the_shipped_hall_file_loads_and_every_service_has_its_persyaratan() -> None:
    hall = load_hall(SHIPPED, CATALOG)
    assert hall.file.services.keys() == CATALOG.service_by_id.keys()
    assert all(path.is_file() for path in hall.media.values())
    assert any("calo" in m for m in hall.file.hall.messages)


def test_an_unknown_zone_or_service_refuses_and_names_each(tmp_path: Path) -> None:
    body = '[zones.x]\nmessages = ["a"]\n[services.ktp]\nrequirements = ["KK"]\n'
    said = refusal(hall_file(tmp_path, body))
    assert "zones.x: no zone 'x' in the catalog" in said
    assert "services.ktp: no service 'ktp' in the catalog" in said
    assert str(tmp_path / "hall.toml") in said


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../hall.toml", "not a plain path inside the media folder"),
        ("/etc/hostname", "not a plain path inside the media folder"),
        ("sub\\..\\x.png", "not a plain path inside the media folder"),
        ("loop.svg", "not one of the kinds the board plays"),
        ("notes.txt", "not one of the kinds the board plays"),
        ("gone.webm", "no such file in the media folder"),
        ("escape.png", "leads outside the media folder"),
    ],
)
def test_media_outside_the_folder_missing_or_of_an_unknown_kind_refuses(
    tmp_path: Path, name: str, why: str
) -> None:
    (tmp_path / "outside.png").write_bytes(b"x")
    # TOML literal strings: a backslash stays itself
    path = hall_file(tmp_path, f"[hall]\nmedia = ['ok.webm', '{name}']\n", ("ok.webm",))
    os.symlink(tmp_path / "outside.png", tmp_path / "media" / "escape.png")
    said = refusal(path)
    assert f"hall.media {name!r}: {why}" in said, said
    assert "ok.webm" not in said


def test_a_malformed_file_refuses_with_where_and_why(tmp_path: Path) -> None:
    assert "Expected" in refusal(hall_file(tmp_path, "[hall\n"))
    said = refusal(hall_file(tmp_path, '[hall]\nmesages = ["a"]\n'))
    assert "hall.mesages: Extra inputs are not permitted" in said
    said = refusal(hall_file(tmp_path, "[services.kk]\nrequirements = []\n"))
    assert "services.kk.requirements" in said
    assert "No such file" in refusal(tmp_path / "absent.toml")


def test_a_zone_board_shows_its_zone_then_the_hall_and_only_its_services_persyaratan(
    tmp_path: Path,
) -> None:
    body = """
[hall]
messages = ["semua"]
media = ["hall.webm"]
[zones.a]
messages = ["zona a"]
[zones.c]
messages = ["zona c"]
media = ["paspor.png"]
[services.kk]
requirements = ["KK lama"]
[services.paspor]
requirements = ["M-Paspor"]
"""
    hall = load_hall(hall_file(tmp_path, body, ("hall.webm", "paspor.png")), CATALOG)
    zone_a = board_content(hall, CATALOG, BoardFilter.parse(CATALOG, "a", None))
    assert zone_a["messages"] == ["zona a", "semua"]
    assert zone_a["media"] == [{"url": "/hall/media/hall.webm", "kind": "video"}]
    assert [r["id"] for r in zone_a["requirements"]] == ["kk"]
    assert zone_a["requirements"][0] == {
        "id": "kk", "prefix": "B", "name": "Kartu Keluarga & Pindah Datang",
        "documents": ["KK lama"],
    }  # fmt: skip

    zone_c = board_content(hall, CATALOG, BoardFilter.parse(CATALOG, "c", None))
    assert zone_c["media"] == [{"url": "/hall/media/paspor.png", "kind": "image"}]
    both = board_content(hall, CATALOG, BoardFilter.parse(CATALOG, "c,a", None))
    assert both["messages"] == ["zona a", "zona c", "semua"]  # zones in catalog order

    whole = board_content(hall, CATALOG, BoardFilter.parse(CATALOG, None, None))
    assert whole["messages"] == ["semua"]
    assert [r["id"] for r in whole["requirements"]] == ["kk", "paspor"]
    services = board_content(hall, CATALOG, BoardFilter.parse(CATALOG, None, "paspor"))
    assert services["messages"] == ["semua"]
    assert [r["id"] for r in services["requirements"]] == ["paspor"]


def test_a_media_file_swapped_for_a_link_out_of_the_folder_is_no_longer_served(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "loop.webm").write_bytes(b"x")
    assert media_file(folder.resolve(), "loop.webm")[0] == (folder / "loop.webm").resolve()
    (folder / "loop.webm").unlink()
    (tmp_path / "secret.webm").write_bytes(b"x")
    os.symlink(tmp_path / "secret.webm", folder / "loop.webm")
    assert media_file(folder.resolve(), "loop.webm") == (
        None,
        f"leads outside the media folder {folder.resolve()}",
    )


def test_no_hall_file_means_no_content() -> None:
    content = board_content(load_hall(None, CATALOG), CATALOG, BoardFilter("all"))
    assert content["messages"] == content["media"] == content["requirements"] == []
