"""Ops configuration checked by the real tools: promtool (config, rule tests), docker-compose,
and the generated files (service levels, dashboards) in step with their sources."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
PROM = REPO / "deploy" / "prometheus"
GRAFANA = REPO / "deploy" / "grafana"


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.compose.yml"])
def test_prometheus_configs_and_their_rules_are_valid(config: str) -> None:
    done = run("promtool", "check", "config", str(PROM / config))
    assert done.returncode == 0, done.stdout + done.stderr


def test_alert_rules_pass_their_promtool_unit_tests() -> None:
    done = run("promtool", "test", "rules", str(PROM / "tests" / "antre-alerts.test.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_runbook_in_indonesian_and_english() -> None:
    text = (PROM / "rules" / "antre-alerts.yml").read_text()
    alerts = text.count("- alert: ")
    assert alerts >= 6
    assert text.count("runbook_id:") == alerts and text.count("runbook_en:") == alerts


def test_service_level_rules_match_the_catalog() -> None:
    render = load(PROM / "service_levels.py").render
    assert (PROM / "rules" / "service-levels.yml").read_text() == render()


def test_dashboards_match_their_description_and_use_the_provisioned_datasource() -> None:
    build = load(GRAFANA / "build.py")
    boards = {
        "hall-overview": build.HALL,
        "service-levels": build.LEVELS,
        "system-health": build.HEALTH,
    }
    for name, board in boards.items():
        committed = json.loads((GRAFANA / "dashboards" / f"{name}.json").read_text())
        assert committed == board, f"{name}.json is stale: run deploy/grafana/build.py"
        for panel in committed["panels"]:
            assert panel["targets"] and panel["datasource"]["uid"] == "prometheus", panel["title"]
    assert "uid: prometheus" in (GRAFANA / "provisioning/datasources/prometheus.yml").read_text()


def test_compose_file_is_valid() -> None:
    done = run("docker-compose", "-f", "docker-compose.yml", "config", "-q")
    assert done.returncode == 0, done.stderr
    dev = ("-f", "docker-compose.yml", "-f", "docker-compose.dev.yml")
    done = run("docker-compose", *dev, "config", "-q")
    assert done.returncode == 0, done.stderr
    services = run("docker-compose", "config", "--services").stdout.split()
    redis = {"redis-ticketing", "redis-notifier", "redis-display", "redis-survey"}  # one each
    assert set(services) >= {"kafka", "kafka-topics", *redis, "ticketing", "display", "notifier",
                             "survey", "prometheus", "grafana"}  # fmt: skip


def test_compose_mounts_the_sites_hall_content_beside_its_catalog() -> None:
    """The image's default hall file is the demo's, made for the demo catalog's zones: with a
    site's own catalog it would stop the display at start. Compose mounts the site's hall file
    (ANTRE_HALL; none: an empty file, calls only); the development override the demo's."""

    def hall_mount(*files: str) -> str:
        args = [a for f in files for a in ("-f", f)]
        display = yaml.safe_load(run("docker-compose", *args, "config").stdout)["services"][
            "display"
        ]
        assert display["environment"]["DISPLAY_HALL_PATH"] == "/etc/antre/catalog.hall.toml"
        mounts = [v for v in display["volumes"] if v.endswith(":/etc/antre/catalog.hall.toml:ro")]
        assert len(mounts) == 1, display["volumes"]
        return mounts[0].split(":")[0]

    assert hall_mount("docker-compose.yml") == "/dev/null"
    dev = hall_mount("docker-compose.yml", "docker-compose.dev.yml")
    assert dev == str(REPO / "deploy/catalog/mpp-kutai-timur.hall.toml")
