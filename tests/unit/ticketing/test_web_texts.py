"""The pages' words: every key a page script asks for by name exists, in KBBI spelling."""

import re

import pytest
from ticketing.web import texts
from ticketing.web.assets import STATIC

PAGES = ["kiosk", "status", "console", "booking", "coordinator"]


@pytest.mark.parametrize("page", PAGES)
def test_every_literal_key_a_page_script_uses_is_in_its_words(page: str) -> None:
    script = (STATIC / f"{page}.js").read_text(encoding="utf-8")
    used = set(re.findall(r"""\bt\(\s*"(\w+)"\s*[,)]""", script))
    assert used, page
    assert used - set(texts.for_page(page)) == set()


@pytest.mark.parametrize("page", PAGES)
def test_words_use_kbbi_spelling(page: str) -> None:
    words = " ".join(texts.for_page(page).values()).lower()
    for wrong in ("antrian", "silahkan"):
        assert wrong not in words, (page, wrong)
