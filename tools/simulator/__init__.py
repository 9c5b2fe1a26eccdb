"""A simulated MPP day that drives the running system through its HTTP API.

    uv run python -m tools.simulator --speed 60            # a whole day in about 8 minutes
    uv run python -m tools.simulator --help

`day` holds the pure model (arrival curve, service mix and times, breaks); `drive` plays it
against ticketing with visitors at the kiosk and officers at the counters.
"""
