"""Prometheus metrics of the notifier. Labels never carry a phone number."""

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from notifier.dlr import OTHER, REFUSED, REPORTS

_LATENCY_BUCKETS = (
    0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
    0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
)  # fmt: skip


OUTCOMES = ("sent", "dead_lettered", "dropped_stale", "capped")
"""How an SMS ends: each one ends in exactly one of these."""
CAPS = ("number_daily_cap", "site_daily_budget")
"""Why an SMS was capped (claim.lua, rule 3)."""


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        kp = ["kind", "provider"]
        self.sms = Counter(
            "notifier_sms",
            "SMS finished, by kind and outcome: sent (the gateway took it), dead_lettered (given"
            " up; notifier_sms_dead_lettered_total says why), dropped_stale (no longer useful),"
            " capped (a daily cap reached; notifier_sms_capped_total says which)",
            [*kp, "outcome"],
            registry=registry,
        )
        self.failed = Counter(
            "notifier_sms_failed", "Gateway attempts that failed", kp, registry=registry
        )
        self.retried = Counter(
            "notifier_sms_retried", "SMS put back for a later attempt", kp, registry=registry
        )
        self.dead = Counter(
            "notifier_sms_dead_lettered",
            "SMS given up, with a dead-letter record",
            [*kp, "reason"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "notifier_sms_rate_limited",
            "Times a number's rate limit delayed an SMS",
            registry=registry,
        )
        self.capped = Counter(
            "notifier_sms_capped",
            "SMS skipped, never sent, because a daily cap was reached: number_daily_cap (one"
            " number's) or site_daily_budget (the site's)",
            ["kind", "reason"],
            registry=registry,
        )
        self.delivery_reports = Counter(
            "notifier_delivery_reports",
            "Kannel delivery reports received: delivered, accepted (sent), undelivered, rejected"
            " (failed), queued, other (no effect), refused (signature wrong or missing: ignored)",
            ["report"],
            registry=registry,
        )
        self.in_doubt = Counter(
            "notifier_sms_in_doubt",
            "SMS found in doubt after a crash, by what was done: confirmed (a delivery report"
            " says the gateway had it), reported_failed (a report says it did not go out:"
            " resent), resent (no report), dropped",
            ["resolution"],
            registry=registry,
        )
        self.events = Counter(
            "notifier_events", "Queue events handled", ["type", "result"], registry=registry
        )
        self.queued = Counter("notifier_notices_queued", "Notices recorded", registry=registry)
        self.gateway_latency = Histogram(
            "notifier_gateway_latency_seconds",
            "From submitting an SMS to the gateway's answer",
            ["provider"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.call_to_gateway = Histogram(
            "notifier_call_to_gateway_seconds",
            "From a ticket's call (event time) to the gateway accepting its 'called' SMS",
            ["provider"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.event_latency = Histogram(
            "notifier_event_latency_seconds",
            "From a queue event's Kafka timestamp to its notices recorded in Redis",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "notifier_outbox_backlog",
            "Notices in the outbox, due now or waiting for a retry",
            registry=registry,
        )

    def prime(self, kinds: Iterable[str], provider: str) -> None:
        """Every kind's SMS series at 0 from the start: a series born at its first count (1)
        loses that count in `increase()` and `rate()`, so the SMS panels would miss it."""
        for kind in kinds:
            for counter in (self.failed, self.retried):
                counter.labels(kind, provider)
            for outcome in OUTCOMES:
                self.sms.labels(kind, provider, outcome)
            for reason in CAPS:
                self.capped.labels(kind, reason)
        for name in (*(r.name for r in REPORTS.values()), OTHER.name, REFUSED):
            self.delivery_reports.labels(name)
        self.gateway_latency.labels(provider)
        self.call_to_gateway.labels(provider)
