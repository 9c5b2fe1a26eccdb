"""Visitors answering the satisfaction survey from their phone after being served, with a known
distribution of scores (so a test can compare the IKM the survey reports with the answers)."""

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

SCORES = (0.04, 0.12, 0.52, 0.32)
"""Chance of each score 1..4, the same for every element: a typical MPP's picture (mostly
"sesuai", a third "sangat sesuai"). Expected IKM = 25 × (1×.04 + 2×.12 + 3×.52 + 4×.32) = 78.0."""


@dataclass
class Surveys:
    api: httpx.AsyncClient
    """The survey service."""
    share: float
    """Of the served visitors, the share who answer."""
    rng: random.Random
    answered: Counter[str] = field(default_factory=Counter)
    """Result ('201', '200', '404', ...) → answers sent."""
    pending: set["asyncio.Task[None]"] = field(default_factory=set)

    def served(self, ticket_id: str) -> None:
        """A visitor was served: maybe they answer, in the background."""
        if self.rng.random() >= self.share:
            return
        scores = {f"U{i}": self.rng.choices((1, 2, 3, 4), SCORES)[0] for i in range(1, 10)}
        task = asyncio.create_task(self._answer(ticket_id, {"scores": scores}))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _answer(self, ticket_id: str, body: dict[str, Any]) -> None:
        """Send until the survey knows the ticket was served (its event may still be on its
        way) or 30 s have passed."""
        for _ in range(60):
            try:
                r = await self.api.post(f"/api/v1/tickets/{ticket_id}/answers", json=body)
            except httpx.TransportError:
                await asyncio.sleep(0.5)
                continue
            if r.status_code not in (404, 503):
                self.answered[str(r.status_code)] += 1
                return
            await asyncio.sleep(0.5)
        self.answered["gave_up"] += 1

    async def drain(self) -> None:
        while self.pending:
            await asyncio.gather(*list(self.pending))
