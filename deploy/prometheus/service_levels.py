"""Write the service levels of a catalog as Prometheus recording rules (one series per service).

    uv run python deploy/prometheus/service_levels.py > deploy/prometheus/rules/service-levels.yml

The catalog stays the one place where a service level is set; tests/unit/ops checks that the
committed rules file matches it. Alerts compare `antre:service_level_seconds{service}` with the
waiting-time p90 of the same service.
"""

import sys
from pathlib import Path

from antre_contracts import load_catalog

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml"


def render(catalog_path: Path = DEFAULT) -> str:
    catalog = load_catalog(catalog_path)
    lines = [
        f"# Generated from {catalog_path.relative_to(REPO)} by deploy/prometheus/service_levels.py",
        "# do not edit: change service_level_minutes in the catalog and run the script again.",
        "groups:",
        "  - name: antre-service-levels",
        "    rules:",
    ]
    for service in catalog.services:
        lines += [
            "      - record: antre:service_level_seconds",
            f"        expr: vector({service.service_level_minutes * 60})",
            "        labels:",
            f"          service: {service.id}",
            f"          agency: {service.agency}",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DEFAULT))
