"""FastStream batch subscribers (display, notifier): every record reaches the handler, and a
batch is committed only once handled, rewound when it fails.

Both consumers read `raw_message` (the aiokafka records) and parse the CloudEvent themselves,
so a bad record is dead-lettered by the handler with its reason. FastStream parses before the
handler runs: it decodes every header as UTF-8 and, for a `content-type: application/json`
record, the body as JSON. A foreign record with a binary header or a broken JSON body then
failed the whole batch outside the handler: no dead letter, no rewind, and the next batch's
commit skipped it. Pass `parser=tolerant_parser, decoder=no_body` to the subscriber, with
`AckPolicy.MANUAL`, and run the handler's work through `handle_batch`.
"""

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from antre_contracts.commits import Committer

if TYPE_CHECKING:  # the services bring FastStream; the contracts do not depend on it
    from faststream._internal.context import ContextRepo

T = TypeVar("T")


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


async def handle_batch(
    context: "ContextRepo",
    committer: Committer,
    handle: Callable[[tuple[Any, ...]], Awaitable[T]],
) -> T:
    """Run `handle` on the current batch's records. Done: their offsets go to the committer.
    Failed (Redis or the dead-letter topic away): after 0.5 s, so as not to spin, the batch
    is rewound (nack) to be read again, and the error raised; what was recorded before the
    failure is recognised again (by sequence, or by once-key).

    The message is read from the broker's context, not taken as a `KafkaMessage` parameter:
    FastDepends resolves such a parameter with a sync call in a worker thread, a thread hop
    on every batch."""
    message = context.get_local("message")
    if message is None:  # the broker's context was replaced (e.g. by a wrapping app)
        raise RuntimeError("no Kafka message in the broker's context")
    records: tuple[Any, ...] = message.raw_message
    try:
        result = await handle(records)
    except Exception:
        await asyncio.sleep(0.5)
        await message.nack()
        raise
    committer.after(message.consumer, records)
    return result
