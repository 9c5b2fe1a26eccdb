"""A resume id from a board (Last-Event-ID, ?resume=) is read only when Redis could take it."""

import pytest
from display.store import valid_id


@pytest.mark.parametrize("text", ["0-0", "1733200000000-12", f"{2**64 - 1}-{2**64 - 1}"])
def test_a_redis_stream_id_is_taken(text: str) -> None:
    assert valid_id(text)


@pytest.mark.parametrize(
    "text", ["²-0", "0-¹", "١٢-3", "12", "-1", "1-", "NaN", "1-2-3", f"{2**64}-0", " 1-2"]
)
def test_anything_else_is_not_taken_for_one(text: str) -> None:
    """Superscript and other Unicode digits pass str.isdigit() yet break int() (a 500 the
    OpenAPI fuzz found); a part past 64 bits breaks Redis's XRANGE."""
    assert not valid_id(text)
