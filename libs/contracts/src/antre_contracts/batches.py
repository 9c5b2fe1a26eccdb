"""FastStream batch subscribers that hand every record to the handler, whatever it holds.

Both consumers read `raw_message` (the aiokafka records) and parse the CloudEvent themselves,
so a bad record is dead-lettered by the handler with its reason. FastStream parses before the
handler runs: it decodes every header as UTF-8 and, for a `content-type: application/json`
record, the body as JSON. A foreign record with a binary header or a broken JSON body then
failed the whole batch outside the handler: no dead letter, no rewind, and the next batch's
commit skipped it. Pass `parser=tolerant_parser, decoder=no_body` to the subscriber.
"""

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any


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
