"""Facts about the machine a benchmark ran on, recorded with its results."""

import subprocess


def loopback_quickack() -> bool:
    """Whether `deploy/local/infra.sh tune` is on (quickack on the loopback routes), which
    removes Kannel's ~40 ms delayed-ACK stalls and changes every loopback round trip a little."""
    try:
        routes = subprocess.run(
            ["ip", "route", "show", "table", "local"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return any(r.startswith("local 127.0.0.0/8") and "quickack 1" in r for r in routes.splitlines())
