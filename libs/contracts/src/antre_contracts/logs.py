"""Logging, set up the same way in every service: a line for each thing worth a person's time.

Kafka's client logs every failed attempt while a broker is away, and aiokafka's producer
retries its metadata with no pause: one 3 s Kafka outage wrote ~140,000 lines (12 MB) into
ticketing's log. What a person needs is in Antre's own lines: a loop that loses its dependency
says so once and says once when it works again (antre_contracts.supervise, with the attempts
counted in antre_task_failures_total). So the client libraries' lines pass a filter that lets
the first of each kind through and holds back its repeats for a minute, then says how many it
held back.
"""

import logging
import time

CLIENT_LOGGERS = ("aiokafka", "faststream")
"""Third-party clients whose failed attempts repeat while a dependency is away."""


class RepeatFilter(logging.Filter):
    """Per logger and message: the first record, then at most one per `window_s`."""

    def __init__(self, prefixes: tuple[str, ...] = CLIENT_LOGGERS, window_s: float = 60.0):
        super().__init__()
        self.prefixes, self.window_s = prefixes, window_s
        self._seen: dict[tuple[str, str], list[float]] = {}  # key -> [last shown, held back]

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True
        key = (record.name, str(record.msg))
        now = time.monotonic()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.window_s:
            seen[1] += 1
            return False
        if seen is not None and seen[1]:
            held = int(seen[1])
            record.msg = f"{record.msg} [{held} more like this in {self.window_s:.0f} s not shown]"
        if len(self._seen) > 1000:  # many distinct messages: start over rather than grow
            self._seen.clear()
        self._seen[key] = [now, 0]
        return True


def setup_logging(level: int = logging.INFO) -> None:
    """Time, level, logger and message on standard error, client repeats held back."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RepeatFilter())
