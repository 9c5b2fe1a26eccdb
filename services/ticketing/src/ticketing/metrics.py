"""Ticketing's Prometheus metrics (one registry per process, served at /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

_MINUTES = (60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800)

TICKETS_ISSUED = Counter(
    "antre_tickets_issued_total", "Tickets issued", ["agency", "service", "priority", "channel"]
)
CALLS = Counter("antre_calls_total", "Tickets called (first calls)", ["service"])
RECALLS = Counter("antre_recalls_total", "Tickets called again", ["service"])
COMPLETIONS = Counter(
    "antre_tickets_completed_total", "Tickets finished, by outcome", ["service", "outcome"]
)
TRANSFERS = Counter("antre_transfers_total", "Tickets sent to another service", ["from_service"])
WAITING_TIME = Histogram(
    "antre_waiting_time_seconds",
    "Issue (or transfer) to first call",
    ["service"],
    buckets=_MINUTES,
)
SERVICE_TIME = Histogram(
    "antre_service_time_seconds",
    "Start (or call) to finish, served tickets",
    ["service"],
    buckets=_MINUTES,
)
QUEUE_LENGTH = Gauge("antre_queue_length", "Tickets waiting now", ["service"])
OPEN_COUNTERS = Gauge("antre_open_counters", "Counters open for a service now", ["service"])
OUTBOX_BACKLOG = Gauge("antre_outbox_backlog", "Events in the outbox not yet acked by Kafka")
EVENTS_SENT = Counter("antre_outbox_events_sent_total", "Events handed to the Kafka producer")
EVENTS_RELAYED = Counter("antre_outbox_events_relayed_total", "Events acked by Kafka")
RELAY_ERRORS = Counter("antre_outbox_relay_errors_total", "Relay rounds that failed")
REFUSALS = Counter("antre_refusals_total", "Requests refused, by problem type", ["problem"])
