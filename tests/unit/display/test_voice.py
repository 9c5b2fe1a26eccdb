"""What the hall voice agrees to say, and how a call is cut into recorded clips (pure)."""

import struct
from pathlib import Path

import pytest
from antre_contracts import load_catalog
from display.config import Settings
from display.synth import Engines, RenderFailed, clip_words, sized_wav
from display.voice import NotAnnounced, announcement_of

CATALOG = load_catalog(Settings().catalog_path)


def test_a_catalog_ticket_to_a_catalog_counter_is_the_boards_announcement() -> None:
    said = announcement_of(CATALOG, "C-017", "3")
    assert said == "Nomor antrean ce nol satu tujuh, silakan menuju loket tiga"
    assert announcement_of(CATALOG, "A-1017", "12").endswith("loket dua belas")


@pytest.mark.parametrize(
    ("number", "counter", "status", "code"),
    [
        ("Nomor antrean A", "3", 400, "bad_ticket_number"),  # no free text, ever
        ("A-017 ", "3", 400, "bad_ticket_number"),
        ("A-01", "3", 400, "bad_ticket_number"),
        ("A-123456", "3", 400, "bad_ticket_number"),
        ("ABC-017", "3", 400, "bad_ticket_number"),
        ("Z-017", "3", 404, "unknown_prefix"),
        ("A-017", "16", 404, "unknown_counter"),
        ("A-017", "03x", 400, "bad_counter_number"),
        ("A-017", "٣", 400, "bad_counter_number"),  # an Arabic-Indic three is no counter
        ("A-017", "99999", 400, "bad_counter_number"),
    ],
)
def test_anything_else_is_refused_with_its_reason(
    number: str, counter: str, status: int, code: str
) -> None:
    with pytest.raises(NotAnnounced) as refused:
        announcement_of(CATALOG, number, counter)
    assert (refused.value.status, refused.value.code) == (status, code)


def test_a_call_is_cut_into_its_words_with_a_pause_at_the_comma() -> None:
    words = clip_words("Nomor antrean A be nol satu, silakan menuju loket dua belas")
    assert words == [
        "nomor", "antrean", "a", "be", "nol", "satu", "jeda",
        "silakan", "menuju", "loket", "dua", "belas",
    ]  # fmt: skip


def test_clips_say_a_call_only_when_every_word_has_one_the_pause_is_optional() -> None:
    text = "Nomor antrean A nol satu, silakan menuju loket dua"
    words = {
        w: Path(f"{w}.wav")
        for w in ["nomor", "antrean", "a", "nol", "satu", "silakan", "menuju", "loket"]
    }
    assert Engines(clips=words).clips_for(text) is None  # "dua" is missing
    with_two = Engines(clips={**words, "dua": Path("dua.wav")})
    assert [p.stem for p in with_two.clips_for(text) or []] == [
        "nomor", "antrean", "a", "nol", "satu", "silakan", "menuju", "loket", "dua",
    ]  # fmt: skip
    with_pause = Engines(clips={**words, "dua": Path("dua.wav"), "jeda": Path("jeda.wav")})
    assert "jeda" in [p.stem for p in with_pause.clips_for(text) or []]
    assert Engines().clips_for(text) is None


def wav(data: bytes, riff_size: int, data_size: int, extra: bytes = b"") -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, 22050, 44100, 2, 16)
    return (
        b"RIFF" + struct.pack("<I", riff_size) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
        + extra + b"data" + struct.pack("<I", data_size) + data
    )  # fmt: skip


def test_a_wav_sox_wrote_to_a_pipe_gets_its_true_lengths() -> None:
    unknown = 0x7FFFF000
    fixed = sized_wav(wav(b"\x01\x00" * 100, unknown, unknown))
    assert fixed == wav(b"\x01\x00" * 100, 36 + 200, 200)
    listed = b"LIST" + struct.pack("<I", 3) + b"abc\x00"  # an odd chunk is padded to even
    fixed = sized_wav(wav(b"\x00" * 10, unknown, unknown, listed))
    assert struct.unpack_from("<I", fixed, 4)[0] == len(fixed) - 8
    assert struct.unpack_from("<I", fixed, 36 + len(listed) + 4)[0] == 10
    with pytest.raises(RenderFailed):
        sized_wav(b"not a wav file at all, not even close to one, no")
