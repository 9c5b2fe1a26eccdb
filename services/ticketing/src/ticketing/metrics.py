"""Ticketing's Prometheus metrics (one registry per process, served at /metrics)."""

from antre_contracts import Catalog
from antre_contracts.events import Channel, Outcome, Priority
from prometheus_client import Counter, Gauge, Histogram

from ticketing.texts import PARK_REASONS

_MINUTES = (60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800)

TICKETS_ISSUED = Counter(
    "antre_tickets_issued_total", "Tickets issued", ["agency", "service", "priority", "channel"]
)
CALLS = Counter("antre_calls_total", "Tickets called (first calls)", ["service"])
RECALLS = Counter("antre_recalls_total", "Tickets called again", ["service"])
COMPLETIONS = Counter(
    "antre_tickets_completed_total", "Tickets finished, by outcome", ["service", "outcome"]
)
TRANSFERS = Counter(
    "antre_transfers_total",
    "Tickets sent to another service, by the service they left",
    ["service"],
)
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
# Per counter (loket): "counter" in a metric name reads as the metric type to promtool's lint.
COUNTER_OPEN = Gauge(
    "antre_loket_open", "1 while the counter is open (not on break, closed)", ["counter"]
)
COUNTER_SERVING = Gauge(
    "antre_loket_serving", "1 while a ticket is called to or served at the counter", ["counter"]
)
COUNTER_QUEUE_LENGTH = Gauge(
    "antre_loket_queue_length",
    "Tickets waiting now for the services this counter serves (what call-next would take from)",
    ["counter"],
)
QUEUE_STATE_READ = Gauge(
    "antre_queue_state_read_timestamp_seconds",
    "When the queue and counter gauges were last read from Redis (Unix time); they keep their"
    " last values while Redis cannot be read",
)
OUTBOX_BACKLOG = Gauge(
    "antre_outbox_backlog", "Events in the outbox not yet acked by Kafka (read by every replica)"
)
OUTBOX_OLDEST_AGE = Gauge(
    "antre_outbox_oldest_age_seconds",
    "Age of the oldest event in the outbox (0 when it is empty): events not flowing to Kafka",
)
RELAY_LEADING = Gauge(
    "antre_outbox_relay_leading", "1 in the process whose relay holds the site's lease"
)
PRODUCER_RENEWALS = Counter(
    "antre_kafka_producer_renewals_total",
    "Kafka producers replaced after a failure they could not get past, by error",
    ["error"],
)
EVENTS_SENT = Counter("antre_outbox_events_sent_total", "Events handed to the Kafka producer")
EVENTS_RELAYED = Counter("antre_outbox_events_relayed_total", "Events acked by Kafka")
RELAY_ERRORS = Counter("antre_outbox_relay_errors_total", "Relay rounds that failed")
UNREPLICATED = Counter(
    "antre_redis_unreplicated_writes_total",
    "Changes answered before TICKETING_REDIS_WAIT_REPLICAS replicas had them (WAIT timed out)",
)
BOOKINGS = Counter(
    "antre_bookings_total",
    "Online bookings by what happened: created, moved, cancelled, checked_in, late (checked in"
    " past the window: a walk-in ticket); expiries are antre_bookings_expired_total",
    ["service", "event"],
)
BOOKINGS_EXPIRED = Counter(
    "antre_bookings_expired_total", "Bookings never checked in, expired by this replica's sweep"
)
REFUSALS = Counter("antre_refusals_total", "Requests refused, by problem type", ["problem"])
CHOSEN_CALLS = Counter(
    "antre_chosen_calls_total",
    "Tickets called by number (Panggil nomor…): how (number: a waiting ticket, parked: called"
    " back from the parked list, returned: a no-show who came back) and whether out of order",
    ["service", "how", "out_of_order"],
)
PARKED = Counter("antre_parked_total", "Tickets parked (Parkir), by reason", ["service", "reason"])
OFFICER_TICKETS = Counter(
    "antre_officer_tickets_total",
    "Per officer (the catalog's ids, so the label stays bounded): served, no_show,"
    " transferred, parked, called (first calls from the waiting lists), called_back,"
    " out_of_order",
    ["officer", "what"],
)
OFFICER_WHAT = (
    "served", "no_show", "transferred", "parked", "called", "called_back", "out_of_order",
)  # fmt: skip


def prime(catalog: Catalog) -> None:
    """Create every label set of the catalog at 0 when the process starts.

    A series that appears at its first count (1) loses that count in `increase()` and `rate()`,
    the dashboards' "today" figures: the e2e test's short simulated day showed 35 of its 70
    tickets. At 0 from the start, the first count is an increase like any other, after a
    restart too.
    """
    for service in catalog.services:
        for priority in Priority:
            for channel in Channel:
                if channel is not Channel.booking:
                    TICKETS_ISSUED.labels(service.agency, service.id, priority.value, channel)
        if service.slot_minutes is not None and service.booking_quota:
            # A booked ticket is a regular one (priority is for walk-ins at the kiosk).
            TICKETS_ISSUED.labels(service.agency, service.id, Priority.regular, Channel.booking)
        for event in ("created", "moved", "cancelled", "checked_in", "late"):
            BOOKINGS.labels(service.id, event)
        for metric in (CALLS, RECALLS, TRANSFERS, WAITING_TIME, SERVICE_TIME):
            metric.labels(service.id)
        for outcome in Outcome:
            COMPLETIONS.labels(service.id, outcome.value)
        for how in ("number", "parked", "returned"):
            for out_of_order in ("true", "false"):
                CHOSEN_CALLS.labels(service.id, how, out_of_order)
        for reason in PARK_REASONS:
            PARKED.labels(service.id, reason)
    for officer in catalog.officers:
        for what in OFFICER_WHAT:
            OFFICER_TICKETS.labels(officer.id, what)
