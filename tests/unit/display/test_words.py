"""The Indonesian words the hall voice speaks."""

import pytest
from display.texts import announcement
from display.words import letter_words, number_words, ticket_words


def test_the_issue_example_is_spoken_word_for_word() -> None:
    assert announcement("A-017", 3) == "Nomor antrean A nol satu tujuh, silakan menuju loket tiga"


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "nol"),
        (7, "tujuh"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (21, "dua puluh satu"),
        (99, "sembilan puluh sembilan"),
        (100, "seratus"),
        (101, "seratus satu"),
        (111, "seratus sebelas"),
        (250, "dua ratus lima puluh"),
        (1000, "seribu"),
        (1001, "seribu satu"),
        (2026, "dua ribu dua puluh enam"),
    ],
)
def test_whole_numbers_follow_kbbi(n: int, words: str) -> None:
    assert number_words(n) == words


@pytest.mark.parametrize(
    ("letters", "words"),
    [
        ("Q", "ki"),
        ("V", "fe"),
        ("X", "eks"),
        ("Z", "zet"),
        ("Y", "ye"),
        ("H", "ha"),
        ("AB", "A be"),
    ],
)
def test_letters_are_spoken_by_their_indonesian_names(letters: str, words: str) -> None:
    assert letter_words(letters) == words


def test_ticket_digits_are_spoken_one_by_one_even_past_a_hundred() -> None:
    assert ticket_words("B-120") == "be satu dua nol"
    assert ticket_words("AB-005") == "A be nol nol lima"


def test_counter_numbers_are_spoken_as_whole_numbers() -> None:
    assert announcement("Q-101", 12).endswith("silakan menuju loket dua belas")
    assert announcement("Q-101", 12).startswith("Nomor antrean ki satu nol satu,")
