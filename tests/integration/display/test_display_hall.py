"""The display serves a board's hall content and its media files: only the files the hall file
lists, with their type, by ranges; a bad hall file stops it from starting. Real Kafka and Redis."""

import shutil
from pathlib import Path
from typing import Any

import pytest
from display.app import create_app
from display.hall import HallContentError

from tests.support.processes import REPO

SHIPPED = REPO / "deploy" / "catalog" / "mpp-kutai-timur.hall.toml"
MEDIA = SHIPPED.parent / "hall-media"
PROBLEM = "application/problem+json"


async def test_a_board_gets_its_zone_content_and_the_media_it_lists_with_type_and_ranges(
    new_topic: Any, display_settings: Any, tools: Any
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq, hall_path=SHIPPED)) as display:
        zone = (await display.http.get("/api/v1/board/hall", params={"zone": "c"})).json()
        assert zone["messages"][0].startswith("Permohonan paspor")
        assert any(m.startswith("Waspada calo") for m in zone["messages"])
        assert [r["id"] for r in zone["requirements"]] == ["pajak", "paspor", "skck"]
        assert zone["media"] == [
            {"url": "/hall/media/mpp-kutai-timur.webm", "kind": "video"},
            {"url": "/hall/media/alur-layanan.png", "kind": "image"},
        ]
        unknown = await display.http.get("/api/v1/board/hall", params={"zone": "z"})
        assert unknown.status_code == 400 and unknown.headers["content-type"] == PROBLEM

        page = (await display.http.get("/board", params={"zone": "c"})).text
        assert "/static/hall.js" in page and "Permohonan paspor" in page

        video = await display.http.get("/hall/media/mpp-kutai-timur.webm")
        assert video.status_code == 200
        assert video.headers["content-type"] == "video/webm"
        assert video.headers["x-content-type-options"] == "nosniff"
        assert video.headers["accept-ranges"] == "bytes"
        assert video.content == (MEDIA / "mpp-kutai-timur.webm").read_bytes()
        size = len(video.content)

        part = await display.http.get(
            "/hall/media/mpp-kutai-timur.webm", headers={"Range": "bytes=100-199"}
        )
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 100-199/{size}"
        assert part.content == video.content[100:200]
        image = await display.http.get("/hall/media/alur-layanan.png")
        assert image.headers["content-type"] == "image/png"
        assert image.content[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "path",
    [
        "/hall/media/make_demo.py",  # in the folder, not listed, not a media kind
        "/hall/media/../mpp-kutai-timur.toml",
        "/hall/media/..%2fmpp-kutai-timur.toml",
        "/hall/media/%2e%2e/%2e%2e/config.py",
        "/hall/media/%2fetc%2fpasswd",
        "/hall/media/missing.webm",
    ],
)
async def test_nothing_but_the_listed_media_is_served(
    new_topic: Any, display_settings: Any, tools: Any, path: str
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq, hall_path=SHIPPED)) as display:
        response = await display.http.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert b"import" not in response.content and b"[site]" not in response.content


async def test_a_listed_file_removed_or_swapped_for_a_link_out_of_the_folder_is_not_served(
    new_topic: Any, display_settings: Any, tools: Any, tmp_path: Path
) -> None:
    (tmp_path / "media").mkdir()
    shutil.copy(MEDIA / "alur-layanan.png", tmp_path / "media" / "slide.png")
    (tmp_path / "secret.png").write_bytes(b"secret")
    hall = tmp_path / "hall.toml"
    hall.write_text('[hall]\nmessages = ["Halo"]\nmedia = ["slide.png"]\n')
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq, hall_path=hall)) as display:
        assert (await display.http.get("/hall/media/slide.png")).status_code == 200
        (tmp_path / "media" / "slide.png").unlink()
        gone = await display.http.get("/hall/media/slide.png")
        assert gone.status_code == 404 and gone.headers["content-type"] == PROBLEM
        (tmp_path / "media" / "slide.png").symlink_to(tmp_path / "secret.png")
        swapped = await display.http.get("/hall/media/slide.png")
        assert swapped.status_code == 404 and b"secret" not in swapped.content


def test_a_hall_file_naming_an_unknown_zone_stops_the_display_from_starting(
    display_settings: Any, tmp_path: Path
) -> None:
    hall = tmp_path / "hall.toml"
    hall.write_text('[zones.e]\nmessages = ["Zona E"]\n')
    with pytest.raises(HallContentError, match=r"zones\.e: no zone 'e' in the catalog"):
        create_app(display_settings("t", "d", hall_path=hall))


async def test_no_hall_file_gives_a_board_with_no_content(
    new_topic: Any, display_settings: Any, tools: Any
) -> None:
    topic, dlq = await new_topic(), await new_topic("dlq", 1)
    async with tools.running(display_settings(topic, dlq, hall_path="")) as display:
        body = (await display.http.get("/api/v1/board/hall")).json()
        assert body["messages"] == body["media"] == body["requirements"] == []
        assert (await display.http.get("/hall/media/mpp-kutai-timur.webm")).status_code == 404
