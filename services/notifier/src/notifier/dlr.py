"""Kannel's delivery reports: what each status means, and the signature that shows a report
comes from a dlr-url this notifier wrote (README, "Delivery reports").

The dlr-url carries `sig`, an HMAC of (site, notice) under NOTIFIER_DLR_SECRET, never the
secret itself: Kannel keeps the URL (and may log it), and one URL seen there lets nobody forge
the report of another SMS. The secret may be "NEW,OLD" while it rotates: the first signs, each
one verifies, so the reports of SMS sent before the change still count.
"""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

Effect = Literal["sent", "failed", "info"]


@dataclass(frozen=True)
class Report:
    name: str
    """The `report` label of notifier_delivery_reports_total."""
    effect: Effect


# Kannel's DLR types (the %d of the dlr-url). Only 1 and 8 say the SMS went out; a failure
# must never settle an in-doubt SMS as sent.
REPORTS: dict[int, Report] = {
    1: Report("delivered", "sent"),  # delivered to the phone
    2: Report("undelivered", "failed"),  # the phone never got it
    4: Report("queued", "info"),  # queued at the SMS centre: says nothing yet
    8: Report("accepted", "sent"),  # the SMS centre took it
    16: Report("rejected", "failed"),  # the SMS centre refused it
}
OTHER = Report("other", "info")
REFUSED = "refused"
"""The label for a report whose signature is wrong or missing (forged, or a stale secret)."""


def report(status: int) -> Report:
    """What a status means; an unknown one changes nothing."""
    return REPORTS.get(status, OTHER)


def dlr_secrets(setting: str) -> list[str]:
    """The secrets of a setting, newest first (comma separated, whitespace ignored)."""
    keys = [k.strip() for k in setting.split(",") if k.strip()]
    if not keys:
        raise ValueError("NOTIFIER_DLR_SECRET is empty: delivery reports could not be verified")
    return keys


class DlrSigner:
    """Signs the reference in a dlr-url and checks the one a report brings back."""

    def __init__(self, setting: str) -> None:
        self._keys = [k.encode() for k in dlr_secrets(setting)]

    def sign(self, site: str, notice_id: str) -> str:
        return _mac(self._keys[0], site, notice_id)

    def verify(self, site: str, notice_id: str, sig: str) -> bool:
        """True when `sig` is the signature under one of the secrets (constant time)."""
        given = sig.encode()
        # Every key is compared, no early exit: the time taken tells nothing about a match.
        macs = [_mac(k, site, notice_id).encode() for k in self._keys]
        matches = [hmac.compare_digest(mac, given) for mac in macs]
        return any(matches)


def _mac(key: bytes, site: str, notice_id: str) -> str:
    # A newline cannot occur in a site id or a notice id: the pair reads back one way only.
    return hmac.new(key, f"{site}\n{notice_id}".encode(), hashlib.sha256).hexdigest()[:32]
