"""Kafka topic names shared by every service."""

QUEUE_EVENTS = "antre.queue.events"
"""The queue lifecycle: every ticket and counter event, keyed by queue (`<site>:<service>`)."""

DEAD_LETTERS = "antre.queue.events.dlq"
"""What a consumer could not process, with the reason in the `antre-dlq-reason` header."""

DLQ_REASON_HEADER = "antre-dlq-reason"
DLQ_CONSUMER_HEADER = "antre-dlq-consumer"


def queue_key(site: str, service_id: str) -> str:
    """The partition key and sequence scope of one service's queue."""
    return f"{site}:{service_id}"


def counter_key(site: str, counter_id: str) -> str:
    """The partition key and sequence scope of one counter's own events."""
    return f"{site}:counter:{counter_id}"
