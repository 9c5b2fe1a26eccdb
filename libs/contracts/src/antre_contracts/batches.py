"""FastStream batch subscribers (display, notifier): every record reaches the handler, and a
batch is committed only once handled, rewound when it fails.

Both consumers read `raw_message` (the aiokafka records) and parse the CloudEvent themselves,
so a bad record is dead-lettered by the handler with its reason. FastStream parses before the
handler runs: it decodes every header as UTF-8 and, for a `content-type: application/json`
record, the body as JSON. A foreign record with a binary header or a broken JSON body then
failed the whole batch outside the handler: no dead letter, no rewind, and the next batch's
commit skipped it. Pass `parser=tolerant_parser, decoder=no_body` to the subscriber, with
`AckPolicy.MANUAL`, and run the handler's work through `consuming.SequencedConsumer`.
"""

import dataclasses
import itertools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

S = TypeVar("S")


def _text_safe(value: Any) -> bytes:
    if isinstance(value, bytes):
        try:
            value.decode()
            return value
        except UnicodeDecodeError:
            return value.decode("utf-8", "replace").encode()
    return b"" if value is None else str(value).encode()


def _safe_headers(record: Any) -> Any:
    headers: Sequence[tuple[str, Any]] = record.headers or ()
    safe = tuple((name, _text_safe(value)) for name, value in headers)
    if all(value is old for (_, value), (_, old) in zip(safe, headers, strict=True)):
        return record
    return dataclasses.replace(record, headers=safe)


async def tolerant_parser(
    records: tuple[Any, ...], original_parser: Callable[[tuple[Any, ...]], Awaitable[Any]]
) -> Any:
    """FastStream's own batch parser, on records whose headers always decode (bodies and keys
    untouched; a header that is not UTF-8 is passed on with replacement characters)."""
    return await original_parser(tuple(_safe_headers(r) for r in records))


async def no_body(message: Any, original_decoder: Any) -> None:
    """No body decoding: the handlers take no body argument and read `raw_message`."""
    return None


def long_poll(subscriber: S, wait_ms: int) -> S:
    """Make a FastStream batch subscriber wait for records instead of polling for them.

    FastStream's batch loop calls `getmany(timeout_ms=batch_timeout_ms)` and, when nothing came,
    sleeps `batch_timeout_ms` more before asking again. A short timeout then spins the loop
    (with a 2 ms timeout and a 5 ms fetch wait an idle display used ~9% of a core) and a record
    that lands during the sleep waits for it; a long one makes that wait long. aiokafka's
    `getmany` already returns as soon as a fetch brings records, so here the loop asks with
    `wait_ms` and asks again at once when nothing came: no sleep, no added latency, and an idle
    consumer wakes every `wait_ms`. Apply before decorating the handler; returns the subscriber.
    """
    if not hasattr(subscriber, "batch_timeout_ms"):  # not FastStream's BatchSubscriber
        raise TypeError(f"long_poll needs a batch subscriber, not {type(subscriber).__name__}")
    if wait_ms < 1:  # getmany(timeout_ms=0) never suspends: the loop would starve the others
        raise ValueError(f"long_poll needs wait_ms >= 1, not {wait_ms}")
    max_records = getattr(subscriber, "max_records", None)

    async def get_msg(consumer: Any) -> tuple[Any, ...]:
        batches = await consumer.getmany(timeout_ms=wait_ms, max_records=max_records)
        return tuple(itertools.chain.from_iterable(batches.values()))

    setattr(subscriber, "get_msg", get_msg)  # noqa: B010 (the consume loop calls self.get_msg)
    return subscriber
