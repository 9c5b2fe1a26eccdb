"""Delivery-report reconciliation: which in-doubt policy each provider gets, the signed
dlr-url the Kannel gateway writes into every sendsms, and what each report status means."""

from urllib.parse import parse_qs, urlsplit

import pytest
from notifier.config import Settings
from notifier.dlr import DlrSigner, report
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
    # Only Kannel's own escape may carry a '%': site, notice and signature go hex-encoded.
    assert dlr.query.count("%") == 1 and dlr.query.endswith("status=%d")
    ref = parse_qs(dlr.query)
    assert bytes.fromhex(ref["site"][0]).decode() == "kutim"
    assert bytes.fromhex(ref["notice"][0]).decode() == "t1-A-001|issued|"
    signer = DlrSigner(Settings().dlr_secret)
    assert signer.verify("kutim", "t1-A-001|issued|", ref["sig"][0])
    assert not signer.verify("kutim", "t1-A-002|issued|", ref["sig"][0])  # one notice's only
    assert Settings().dlr_secret not in req.decode()  # the secret itself never leaves


def test_no_dlr_url_when_not_reconciling() -> None:
    gw = KannelGateway(Settings(provider="kannel", in_doubt="drop"))
    assert b"dlr-url" not in gw.request("+6281200000001", "Halo", "kutim", "n")


@pytest.mark.parametrize(
    ("status", "name", "effect"),
    [
        (1, "delivered", "sent"),
        (8, "accepted", "sent"),
        (2, "undelivered", "failed"),
        (16, "rejected", "failed"),
        (4, "queued", "info"),
        (32, "other", "info"),
    ],
)
def test_only_delivered_and_accepted_reports_say_an_sms_went_out(
    status: int, name: str, effect: str
) -> None:
    assert (report(status).name, report(status).effect) == (name, effect)


def test_a_rotated_dlr_secret_still_verifies_reports_signed_with_the_old_one() -> None:
    old, new = "o" * 40, "n" * 40
    sig = DlrSigner(old).sign("kutim", "t1|called|kk")
    assert DlrSigner(f"{new},{old}").verify("kutim", "t1|called|kk", sig)
    assert DlrSigner(new).sign("kutim", "t1|called|kk") == DlrSigner(f"{new},{old}").sign(
        "kutim", "t1|called|kk"
    )
    assert not DlrSigner(new).verify("kutim", "t1|called|kk", sig)
    assert not DlrSigner(new).verify("kutim", "t1|called|kk", "é" * 32)  # no TypeError
