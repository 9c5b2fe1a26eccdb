"""Reading a service's /metrics in benches: samples, histogram quantiles, CPU time."""

import os
import re

import httpx

_LE = re.compile(r'[{,]le="([^"]+)"')


def scrape(url: str, prefix: str = "") -> dict[str, float]:
    """Every sample of `url`/metrics whose name starts with `prefix`: 'name{labels}' → value."""
    out: dict[str, float] = {}
    for line in httpx.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(prefix) and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def quantile(
    m: dict[str, float], name: str, q: float, base: dict[str, float] | None = None
) -> float | None:
    """Quantile q of histogram `name` (summed over its other labels; minus `base`, an earlier
    scrape), interpolated within its bucket as Prometheus does. None when it saw nothing."""
    by_le: dict[float, float] = {}
    for k, v in m.items():
        if k.startswith(name + "_bucket{"):
            match = _LE.search(k)
            assert match, k
            text = match.group(1)
            le = float("inf") if text == "+Inf" else float(text)
            by_le[le] = by_le.get(le, 0.0) + v - (base or {}).get(k, 0.0)
    buckets = sorted(by_le.items())
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank, prev_le, prev_c = q * buckets[-1][1], 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_c) / max(c - prev_c, 1e-9))
        prev_le, prev_c = le, c
    return prev_le


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
