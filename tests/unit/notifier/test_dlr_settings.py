"""Delivery-report reconciliation: which in-doubt policy each provider gets, and the dlr-url
the Kannel gateway writes into every sendsms."""

from urllib.parse import parse_qs, urlsplit

import pytest
from notifier.config import Settings
from notifier.gateways.kannel import KannelGateway


def test_kannel_reconciles_by_delivery_report_others_drop() -> None:
    assert Settings(provider="kannel").in_doubt == "dlr"
    assert Settings(provider="log").in_doubt == "drop"
    assert Settings(provider="kannel", in_doubt="drop").in_doubt == "drop"
    with pytest.raises(ValueError, match="NOTIFIER_IN_DOUBT=dlr"):
        Settings(provider="log", in_doubt="dlr")


def test_sendsms_carries_a_dlr_url_back_to_the_notice() -> None:
    gw = KannelGateway(Settings(provider="kannel", port=8123))
    req = gw.request("+6281200000001", "Halo", "kutim", "t1-A-001|issued|")
    target = req.split(b" ")[1].decode()
    q = parse_qs(urlsplit(target).query)
    assert q["dlr-mask"] == ["24"]
    dlr = urlsplit(q["dlr-url"][0])
    assert (dlr.netloc, dlr.path) == ("127.0.0.1:8123", "/api/v1/kannel/dlr")
    # Only Kannel's own escape may carry a '%': site and notice go hex-encoded.
    assert dlr.query.count("%") == 1 and dlr.query.endswith("status=%d")
    ref = parse_qs(dlr.query)
    assert bytes.fromhex(ref["site"][0]).decode() == "kutim"
    assert bytes.fromhex(ref["notice"][0]).decode() == "t1-A-001|issued|"


def test_no_dlr_url_when_not_reconciling() -> None:
    gw = KannelGateway(Settings(provider="kannel", in_doubt="drop"))
    assert b"dlr-url" not in gw.request("+6281200000001", "Halo", "kutim", "n")
