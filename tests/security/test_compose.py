"""Attack 7: stop Prometheus or sign in to Grafana from outside. The compose file, as
docker-compose itself reads it, publishes nothing administrative by default."""

import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]


def compose(*files: str) -> dict[str, Any]:
    args = [arg for f in files for arg in ("-f", f)]
    done = subprocess.run(
        ["docker-compose", *args, "config"], cwd=REPO, capture_output=True, text=True, check=True
    )
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config["services"]


def published(service: dict[str, Any]) -> list[str]:
    return [
        str(p.get("published", p)) if isinstance(p, dict) else p for p in service.get("ports", [])
    ]


def test_by_default_only_the_kiosk_api_the_boards_and_the_survey_are_published() -> None:
    services = compose("docker-compose.yml")
    exposed = {name: published(s) for name, s in services.items() if published(s)}
    # The survey faces visitors' phones and the counter tablets, as the kiosk API does.
    assert exposed == {"ticketing": ["8001"], "display": ["8002"], "survey": ["8004"]}
    assert "--web.enable-lifecycle" not in services["prometheus"]["command"]
    grafana = services["grafana"]["environment"]
    assert grafana["GF_AUTH_DISABLE_LOGIN_FORM"] == "true"
    assert grafana["GF_AUTH_BASIC_ENABLED"] == "false"
    assert grafana.get("GF_SECURITY_ADMIN_PASSWORD") != "admin"
    for name, prefix in (("ticketing", "TICKETING"), ("notifier", "NOTIFIER")):
        assert services[name]["environment"][f"{prefix}_ENVIRONMENT"] == "production"


def test_the_development_conveniences_live_in_the_override_the_readme_names() -> None:
    services = compose("docker-compose.yml", "docker-compose.dev.yml")
    for name in ("prometheus", "grafana", "notifier"):
        assert all(p.startswith("127.0.0.1:") for p in published(services[name])), name
    assert "docker-compose.dev.yml" in (REPO / "README.md").read_text()
