"""The sender loop: claims due notices from Redis, sends them through the gateway, records
the outcome. Retries with bounded backoff; dead-letters past the bound. Stale notices and
those over a daily cap are finished unsent by the claim itself (claim.lua)."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from antre_contracts.catalog import Catalog
from antre_contracts.phone import PhoneCipher, mask
from antre_contracts.supervise import Health

from notifier.backoff import retry_delay
from notifier.config import Settings
from notifier.gateways import Gateway, GatewayError
from notifier.limits import limits, local_day
from notifier.metrics import Metrics
from notifier.store import Claimed, Dropped, NotifierStore
from notifier.texts import TemplateError, Templates

log = logging.getLogger("notifier.sender")
DeadLetter = Callable[[dict[str, Any], str], Awaitable[None]]


def _now_ms() -> int:
    return int(time.time() * 1000)


class Sender:
    def __init__(
        self,
        settings: Settings,
        store: NotifierStore,
        gateway: Gateway,
        templates: Templates,
        catalog: Catalog,
        cipher: PhoneCipher,
        metrics: Metrics,
        dead_letter: DeadLetter,
    ) -> None:
        self.s, self.store, self.gateway = settings, store, gateway
        self.templates, self.catalog, self.cipher = templates, catalog, cipher
        self.m, self.dead_letter = metrics, dead_letter
        self._wake = asyncio.Event()
        self._started_ms = _now_ms()
        self._hold_ms = int(settings.in_doubt_hold_s * 1000) if settings.in_doubt == "dlr" else 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._limits = limits(settings)

    def wake(self) -> None:
        """New notices were queued: look now rather than at the next poll."""
        self._wake.set()

    async def run(self, health: Health) -> None:
        """Forever: claim and send; sleep until woken or the poll interval when idle."""
        while True:
            try:
                worked = await self._round()
                health.ok()
            except Exception as exc:  # Redis away: one log line a streak (the supervisor's)
                health.failing(exc)
                worked = False
                await asyncio.sleep(0.5)
            if not worked:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.s.idle_poll_s):
                        await self._wake.wait()

    async def drain(self) -> None:
        """Let in-flight SMS finish and be recorded (graceful stop), for up to 5 s."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5.0)

    async def _round(self) -> bool:
        worked = False
        for site in await self.store.sites():
            await self.gateway.wait_free()
            now = _now_ms()
            claimed, dropped, limited, depth = await self.store.claim(
                site,
                local_day(now, self.catalog.site.tz),
                now,
                min(self.s.send_batch, self.gateway.free()),
                int(self.s.lease_s * 1000),
                self._limits,
                self.s.ticket_ttl_s,
                self._hold_ms,
                self._started_ms,
            )
            if limited:
                self.m.rate_limited.inc(limited)
            self._count_dropped(dropped)
            if claimed:
                self._dispatch(site, claimed)
            if claimed or dropped:
                worked = True  # the tickets' next notices may be due now
            elif depth == 0:
                await self.store.forget_idle_site(site)
        return worked

    def _count_dropped(self, dropped: list[Dropped]) -> None:
        """Notices claim.lua finished unsent: stale, or over a daily cap (never the number)."""
        for d in dropped:
            if d.reason == "stale":
                self.m.sms.labels(d.kind, self.gateway.name, "dropped_stale").inc()
                continue
            self.m.capped.labels(d.kind, d.reason).inc()
            self.m.sms.labels(d.kind, self.gateway.name, "capped").inc()
            log.warning("SMS %s (%s) skipped, not sent: %s reached", d.id, d.kind, d.reason)

    def _dispatch(self, site: str, claimed: list[Claimed]) -> None:
        # No await in here: every request is written right after the claim (README, "Once").
        for c in claimed:
            if c.in_doubt and not self._resend(site, c):
                continue
            try:
                to = self.cipher.decrypt(c.phone_token)
                text = self.templates.render(c.kind, self._fields(c))
            except (ValueError, TemplateError) as exc:
                self._spawn(self._give_up(site, c, "unsendable", str(exc)))
                continue
            sending = self.gateway.submit(to, text, site, c.id)
            self._spawn(self._complete(site, c, sending, time.perf_counter()))

    def _resend(self, site: str, c: Claimed) -> bool:
        """An in-doubt notice (README, "Once"): True to send it again, else settled here."""
        if c.confirmed:  # the gateway's delivery report: it was sent before the crash
            self.m.in_doubt.labels("confirmed").inc()
            log.info("SMS %s in doubt, confirmed by a delivery report: sent", c.id)
            self._spawn(self._confirmed(site, c))
            return False
        if self.s.in_doubt == "drop" and not c.reported_failed:
            self.m.in_doubt.labels("dropped").inc()
            reason = "the notifier stopped while sending; not resent to avoid a duplicate"
            self._spawn(self._give_up(site, c, "in_doubt", reason))
            return False
        if c.attempts >= self.s.retry_max_attempts:
            reason = f"still not sent after {c.attempts} attempts"
            self._spawn(self._give_up(site, c, "gateway", reason))
            return False
        if c.reported_failed:
            # The report says it did not go out: sending again cannot text twice, whatever the
            # in-doubt policy. It counts as an attempt (claim.lua), so a number the SMS centre
            # always refuses ends in a dead letter.
            self.m.in_doubt.labels("reported_failed").inc()
            log.warning("SMS %s reported not sent by the gateway: sending it again", c.id)
        else:
            self.m.in_doubt.labels("resent").inc()
            log.warning("SMS %s in doubt, no delivery report: sending it again", c.id)
        return True

    def _fields(self, c: Claimed) -> dict[str, Any]:
        service = self.catalog.service_by_id.get(c.service_id)
        agency = self.catalog.agency_by_id.get(service.agency) if service else None
        fields: dict[str, Any] = {
            "service": service.name if service else c.service_id,
            "agency": agency.short_name if agency else "",
            **c.fields,
        }
        if c.number:
            fields["number"] = c.number
        return fields

    async def _complete(self, site: str, c: Claimed, sending: Awaitable[None], t0: float) -> None:
        p = self.gateway.name
        try:
            await sending
        except GatewayError as exc:
            self.m.failed.labels(c.kind, p).inc()
            attempt = c.attempts + 1
            if not exc.retryable or attempt >= self.s.retry_max_attempts:
                await self._give_up(site, c, "gateway", f"{exc.reason} (attempt {attempt})")
                return
            if exc.written and self.s.in_doubt == "dlr":
                # Kannel may have it (e.g. a timeout under load): leave the notice 'sending', so
                # after the lease it is in doubt and its delivery report decides (claim.lua).
                log.warning("SMS %s unanswered (%s): left to its delivery report", c.id, exc.reason)
                return
            if exc.written and self.s.in_doubt == "drop":
                # The gateway may have it and nothing will tell: sending again could text the
                # visitor twice. Given up, like an SMS in doubt after a crash.
                self.m.in_doubt.labels("dropped").inc()
                await self._give_up(site, c, "in_doubt", f"{exc.reason}; not sent again")
                return
            delay = retry_delay(attempt, self.s.retry_base_s, self.s.retry_max_delay_s)
            await self.store.retry(site, c.id, _now_ms() + int(delay * 1000), exc.reason)
            self.m.retried.labels(c.kind, p).inc()
            return
        self.m.gateway_latency.labels(p).observe(time.perf_counter() - t0)
        await self._finish(site, c, "sent")
        self.m.sms.labels(c.kind, p, "sent").inc()
        if c.kind == "called":
            self.m.call_to_gateway.labels(p).observe(max(0, _now_ms() - c.event_ms) / 1000)

    async def _confirmed(self, site: str, c: Claimed) -> None:
        await self._finish(site, c, "sent")
        self.m.sms.labels(c.kind, self.gateway.name, "sent").inc()

    async def _finish(self, site: str, c: Claimed, outcome: str) -> None:
        await self.store.finish(site, [(c.id, outcome)], self.s.ticket_ttl_s, _now_ms())
        self.wake()  # the ticket's next notice may be due now

    async def _give_up(self, site: str, c: Claimed, reason: str, detail: str) -> None:
        try:
            masked = mask(self.cipher.decrypt(c.phone_token))
        except ValueError:
            masked = "?"
        record = {
            "site": site,
            "notice_id": c.id,
            "ticket_id": c.ticket_id,
            "kind": c.kind,
            "service_id": c.service_id,
            "attempts": c.attempts + (reason == "gateway"),
            "reason": reason,
            "detail": detail,
            "phone_masked": masked,
            "phone_encrypted": c.phone_token,
        }
        await self.dead_letter(record, f"{reason}: {detail}")
        await self._finish(site, c, "dead" if reason != "in_doubt" else "in_doubt")
        self.m.sms.labels(c.kind, self.gateway.name, "dead_lettered").inc()
        self.m.dead.labels(c.kind, self.gateway.name, reason).inc()
        log.warning("SMS %s to %s dead-lettered: %s: %s", c.id, masked, reason, detail)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except Exception:
            # Redis or Kafka failed while recording: the lease brings the notice back in doubt.
            log.exception("recording an SMS outcome failed")
