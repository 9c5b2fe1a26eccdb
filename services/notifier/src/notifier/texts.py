"""SMS texts: a staff-editable TOML file of str.format templates, reloaded when it changes."""

import os
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path

KINDS = ("issued", "near_turn", "called", "survey", "booked", "reminder", "next_step")
NEWER_KINDS = ("booked", "reminder", "next_step")
"""Kinds a site's own template file from before them may lack: the packaged text is used."""
PACKAGED = Path(__file__).parent / "templates" / "sms.toml"

# HTTP problems (Kannel's delivery reports and ops tools are the callers: English).
UNAVAILABLE = "The notifier's Redis is not reachable right now; try again in a few seconds."
INTERNAL_ERROR = "The notifier failed on this request; the error is in its log."
DLR_OFF = "This notifier does not take delivery reports (NOTIFIER_IN_DOUBT is not dlr)."
DLR_MALFORMED = "Expected hex-encoded 'site' and 'notice' and an integer 'status' query parameter, as the notifier writes them into Kannel's dlr-url."
DLR_REFUSED = "The signature 'sig' is missing or wrong: only a dlr-url this notifier wrote is believed (NOTIFIER_DLR_SECRET)."

# GSM 03.38 basic set: a text made only of these fits 160 characters per SMS (else 70, UCS-2).
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€")  # two septets each


class TemplateError(ValueError):
    """The template file is missing a kind or names a field that does not exist."""


def gsm7_length(text: str) -> int | None:
    """Septets the text needs in GSM-7, or None when it needs UCS-2 (70 chars per SMS)."""
    n = 0
    for ch in text:
        if ch in _GSM7:
            n += 1
        elif ch in _GSM7_EXT:
            n += 2
        else:
            return None
    return n


def parse_templates(raw: str) -> dict[str, str]:
    """Read the TOML text; every kind must have a `text`."""
    data = tomllib.loads(raw)
    out: dict[str, str] = {}
    for kind in KINDS:
        text = data.get(kind, {}).get("text")
        if text is None and kind in NEWER_KINDS and raw is not _packaged():
            text = parse_templates(_packaged())[kind]
        if not isinstance(text, str) or not text.strip():
            raise TemplateError(f"[{kind}] text is missing in the SMS template file")
        out[kind] = text
    return out


_PACKAGED_TEXT: list[str] = []


def _packaged() -> str:
    if not _PACKAGED_TEXT:
        _PACKAGED_TEXT.append(PACKAGED.read_text(encoding="utf-8"))
    return _PACKAGED_TEXT[0]


def render(templates: Mapping[str, str], kind: str, fields: Mapping[str, object]) -> str:
    """Fill one template; a field name the template uses but we lack is a TemplateError."""
    try:
        return templates[kind].format_map(fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise TemplateError(f"[{kind}] template cannot be filled: {exc!r}") from exc


class Templates:
    """The current templates; re-reads the file at most once a second when its mtime changed."""

    def __init__(self, path: str | Path = "") -> None:
        self.path = Path(path) if path else PACKAGED
        self._mtime = 0.0
        self._checked = 0.0
        self._templates = self._load()

    def _load(self) -> dict[str, str]:
        self._mtime = os.stat(self.path).st_mtime
        return parse_templates(self.path.read_text(encoding="utf-8"))

    def current(self) -> Mapping[str, str]:
        now = time.monotonic()
        if now - self._checked >= 1.0:
            self._checked = now
            try:
                if os.stat(self.path).st_mtime != self._mtime:
                    self._templates = self._load()
            except (OSError, TemplateError, tomllib.TOMLDecodeError):
                pass  # a half-saved or broken edit keeps the last good templates
        return self._templates

    def render(self, kind: str, fields: Mapping[str, object]) -> str:
        return render(self.current(), kind, fields)
