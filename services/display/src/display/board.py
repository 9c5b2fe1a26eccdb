"""The board snapshot as the API and the page see it: catalog names joined to the projection."""

from datetime import UTC, datetime
from typing import Any

from antre_contracts import Catalog

from display.filters import BoardFilter
from display.store import Snapshot


def board_view(
    catalog: Catalog, site: str, snapshot: Snapshot, view: BoardFilter, running_text: str
) -> dict[str, Any]:
    """Every counter of the view (closed until an event says otherwise), calls and waiting."""
    counters = []
    for c in sorted(catalog.counters, key=lambda c: c.number):
        if not view.shows_counter(c.id):
            continue
        tile = snapshot.counters.get(c.id, {})
        counters.append(
            {
                "id": c.id,
                "number": c.number,
                "name": c.name,
                "zone": c.zone,
                "state": tile.get("state", "closed"),
                "reason": tile.get("reason"),
                "ticket": tile.get("ticket"),
            }
        )
    services = [
        {
            "id": s.id,
            "name": s.name,
            "prefix": s.prefix,
            "zone": s.zone,
            "waiting": snapshot.waiting.get(s.id, 0),
        }
        for s in catalog.services
        if view.shows_service(s.id)
    ]
    return {
        "site": {
            "id": site,
            "name": catalog.site.name,
            "timezone": catalog.site.timezone,
            "timezone_label": catalog.site.timezone_label,
            "running_text": running_text,
        },
        "filter": view.key,
        "last_event_id": snapshot.last_id,
        "now": datetime.now(UTC).isoformat(),
        "counters": counters,
        "services": services,
        "recent": [call for call in snapshot.recent if view.shows_call(call)],
    }
