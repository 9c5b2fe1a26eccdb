"""Display settings, from the environment (prefix DISPLAY_)."""

from pathlib import Path

from antre_contracts.topics import DEAD_LETTERS, QUEUE_EVENTS
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO = Path(__file__).resolve().parents[4]


class Settings(BaseSettings):
    """Everything the display needs to run; tests override topic, group and site per run."""

    model_config = SettingsConfigDict(env_prefix="DISPLAY_")

    environment: str = "development"
    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6379/0"
    topic: str = QUEUE_EVENTS
    dlq_topic: str = DEAD_LETTERS
    group_id: str = "display"
    catalog_path: Path = REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml"
    site_id: str | None = Field(default=None, description="Overrides the catalog's site id")
    host: str = "127.0.0.1"
    port: int = 8002
    running_text: str | None = Field(default=None, description="Overrides the catalog's text")
    recent_calls: int = Field(default=8, ge=1, le=50, description="Calls kept in the hall list")
    stream_maxlen: int = Field(
        default=5000, ge=100, description="Board updates kept for Last-Event-ID resumes"
    )
    # aiokafka waits up to 500 ms by default when a fetch has nothing; a board cannot wait.
    fetch_max_wait_ms: int = Field(default=5, ge=0)
    batch_max: int = Field(default=200, ge=1, description="Events applied in one Redis call")
    # FastStream sleeps this long after an empty poll, so it bounds the added latency when idle.
    batch_wait_ms: int = Field(default=2, ge=1)
    commit_interval_ms: int = Field(
        default=100, ge=0, description="Least time between offset commits (redelivery bound)"
    )
    redis_connections: int = Field(default=32, ge=4, description="Pool size; callers wait")
    heartbeat_s: float = Field(default=5.0, gt=0, description="SSE keep-alive event interval")
    client_queue: int = Field(default=1000, ge=10, description="Updates buffered per board")
