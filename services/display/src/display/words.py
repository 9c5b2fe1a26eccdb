"""Indonesian words for ticket numbers and counters, as the hall voice speaks them (pure)."""

_DIGITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")

# Letter names of the Indonesian alphabet (BAHASA.md). A vowel's name is the vowel itself,
# so it stays the capital letter: "Nomor antrean A nol satu tujuh" reads as printed.
_LETTERS = {
    "A": "A", "B": "be", "C": "ce", "D": "de", "E": "E", "F": "ef", "G": "ge", "H": "ha",
    "I": "I", "J": "je", "K": "ka", "L": "el", "M": "em", "N": "en", "O": "O", "P": "pe",
    "Q": "ki", "R": "er", "S": "es", "T": "te", "U": "U", "V": "fe", "W": "we", "X": "eks",
    "Y": "ye", "Z": "zet",
}  # fmt: skip


def number_words(n: int) -> str:
    """A whole number in words: 3 → tiga, 11 → sebelas, 121 → seratus dua puluh satu."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 10:
        return _DIGITS[n]
    if n == 10:
        return "sepuluh"
    if n == 11:
        return "sebelas"
    if n < 20:
        return f"{_DIGITS[n - 10]} belas"
    for size, word, one in ((1_000_000, "juta", "satu juta"), (1000, "ribu", "seribu"),
                            (100, "ratus", "seratus"), (10, "puluh", "sepuluh")):  # fmt: skip
        if n >= size:
            head, rest = divmod(n, size)
            words = one if head == 1 and size < 1_000_000 else f"{number_words(head)} {word}"
            return words if rest == 0 else f"{words} {number_words(rest)}"
    raise AssertionError("unreachable")


def letter_words(letters: str) -> str:
    """Each letter by its Indonesian name: "AB" → "A be", "Q" → "ki"."""
    return " ".join(_LETTERS[ch] for ch in letters.upper() if ch in _LETTERS)


def digit_words(digits: str) -> str:
    """Digits one by one, as printed on the ticket: "017" → "nol satu tujuh"."""
    return " ".join(_DIGITS[int(ch)] for ch in digits if ch.isdigit())


def ticket_words(number: str) -> str:
    """A ticket number as spoken: "A-017" → "A nol satu tujuh", "AB-120" → "A be satu dua nol"."""
    letters = "".join(ch for ch in number if ch.isalpha())
    digits = "".join(ch for ch in number if ch.isdigit())
    return " ".join(part for part in (letter_words(letters), digit_words(digits)) if part)
