"""The catalog with live figures: what a kiosk shows before a visitor picks a service."""

from typing import Any

from fastapi import APIRouter

from ticketing.api.deps import RuntimeDep
from ticketing.domain.rules import estimated_wait_s, hours_refusal

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get("/catalog")
async def read_catalog(rt: RuntimeDep) -> dict[str, Any]:
    """Agencies, services (waiting, estimated wait, open counters, availability), counters."""
    overview = await rt.store.overview()
    now = rt.store.clock.now()
    services = []
    for s in rt.catalog.services:
        live = overview[s.id]
        refusal = hours_refusal(rt.catalog.site, s, now) if rt.enforce_hours else None
        if s.daily_quota is not None and live["issued"] >= s.daily_quota:
            availability = "quota_exhausted"
        else:
            availability = refusal.code if refusal else "open"
        services.append(
            {
                **s.model_dump(mode="json"),
                "waiting": live["waiting"],
                "open_counters": live["open"],
                "estimated_wait_s": estimated_wait_s(live["waiting"], live["open"], live["mean_s"]),
                "issued_today": live["issued"],
                "quota_left": None
                if s.daily_quota is None
                else max(0, s.daily_quota - live["issued"]),
                "availability": availability,
            }
        )
    site = rt.catalog.site.model_dump(mode="json")
    return {
        "site": site,
        "now": now.astimezone(rt.catalog.site.tz).isoformat(),
        "zones": [z.model_dump() for z in rt.catalog.zones],
        "agencies": [a.model_dump() for a in rt.catalog.agencies],
        "services": services,
        "counters": [c.model_dump() for c in rt.catalog.counters],
    }
