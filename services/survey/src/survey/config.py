"""Survey settings, from SURVEY_* environment variables."""

from pathlib import Path
from typing import Literal

from antre_contracts.survey import SURVEY_ANSWERS
from antre_contracts.topics import DEAD_LETTERS, QUEUE_EVENTS
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO = Path(__file__).resolve().parents[4]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SURVEY_")

    environment: Literal["development", "test", "production"] = "development"
    host: str = Field(default="127.0.0.1", description="0.0.0.0 in a container")
    port: int = 8004
    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6382/0"  # its own Redis (deploy/local: redis-survey)
    redis_connections: int = Field(default=32, ge=4, description="Pool size; callers wait")
    catalog_path: Path = REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml"
    site_id: str | None = None
    """Overrides the catalog's site id (keys and event keys); tests use one of their own."""
    topic: str = QUEUE_EVENTS
    answers_topic: str = SURVEY_ANSWERS
    dead_letter_topic: str = DEAD_LETTERS
    group_id: str = "survey"
    group_instance_id: str | None = Field(
        default=None, description="Kafka static membership, unique per replica; unset: none"
    )
    session_timeout_ms: int = Field(default=6000, ge=6000)
    fetch_max_wait_ms: int = Field(default=100, ge=0)
    batch_wait_ms: int = Field(default=1000, ge=1)
    commit_interval_ms: int = Field(default=100, ge=0)

    answer_window_s: int = Field(
        default=24 * 3600,
        ge=60,
        description="How long after its service ends a ticket may answer (then 410)",
    )
    tablet_window_s: int = Field(
        default=600,
        ge=10,
        description="How long the counter's tablet offers the survey of the ticket it just"
        " served (the next served ticket replaces it sooner)",
    )
    max_report_days: int = Field(default=366, ge=1, description="Longest period of a report")
    relay_lease_ms: int = Field(default=3000, ge=500)
    gauges_every_s: float = Field(default=5.0, gt=0)
