"""Ticketing settings, from the environment (prefix TICKETING_)."""

from pathlib import Path
from typing import Literal

from antre_contracts import QUEUE_EVENTS
from antre_contracts.phone import DEV_PHONE_KEY, refuse_dev_phone_keys
from limits import parse_many
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO = Path(__file__).resolve().parents[4]
DEV_SECRET_KEY = "antre-development-only-secret-key-not-for-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETING_")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8001
    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="One Redis (redis://, rediss://), or a Redis Cluster by any of its nodes:"
        " redis+cluster://host:port[,host:port...]/ (rediss+cluster:// for TLS)",
    )
    redis_connections: int = Field(
        default=64, ge=4, description="Pool size; callers wait (on a cluster: per node, no wait)"
    )
    redis_wait_replicas: int | None = Field(
        default=None,
        ge=0,
        description="After each change, WAIT until this many replicas have it (0: do not"
        " wait). Redis replicates asynchronously: without it a change answered just before its"
        " master dies can be missing on the replica promoted in its place (seen in CI: two"
        " tickets of 2,000 lost in one failover). Default: 1 on a Redis Cluster, 0 on one Redis",
    )
    redis_wait_ms: int = Field(
        default=100,
        ge=1,
        description="How long a change waits for its replicas; then it is answered anyway"
        " (counted in antre_redis_unreplicated_writes_total)",
    )
    topic: str = QUEUE_EVENTS
    catalog_path: Path = REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml"
    site_id: str | None = None
    """Overrides the catalog's site id (keys and event keys); tests use one of their own."""
    enforce_hours: bool = True
    """Refuse tickets outside opening hours; `make up` turns it off for round-the-clock demos."""
    phone_key: str = Field(
        default=DEV_PHONE_KEY,
        description="Fernet key(s), newest first: NEW,OLD while rotating (the first encrypts)",
    )
    public_url: str | None = None
    clock_offset_s: float = Field(
        default=0,
        description="Development and tests only: run as if the time were this many seconds"
        " later (a booking's day played the day before); refused in production",
    )
    clock_rate: float = Field(
        default=1.0,
        gt=0,
        description="Development and benches only: the clock runs this many times faster from"
        " clock_anchor_s (a simulated day at the simulator's speed); refused in production",
    )
    clock_anchor_s: float | None = Field(
        default=None,
        description="Unix time from which clock_rate runs (default: the process's start); the"
        " clock shows anchor + offset there",
    )
    survey_url: str = Field(
        default="http://127.0.0.1:8004/s/{ticket_id}",
        description="The satisfaction survey a served ticket's status page links to"
        " ({ticket_id} filled in: Antre's survey service); empty: no link",
    )
    """Where visitors' phones reach ticketing (the QR code on a ticket); default: as requested."""
    proxy_headers: bool = False
    """Trust X-Forwarded-For (behind a reverse proxy); off, it costs every request a pass."""
    max_body_bytes: int = 8192
    relay_batch: int = 100
    relay_lease_ms: int = Field(
        default=3000,
        ge=500,
        description="How long the relay's lease lasts (renewed every third of it): a crashed"
        " relay is taken over within it",
    )
    relay_linger_ms: int = 0
    """Producer linger. 0: an event leaves at once; the relay already sends its backlog as one
    batch, and with 2 ms every call waited 2 ms more on its way to the boards (interleaved
    display benches: call-to-board p50 21/26 ms at 0 against 35/32 ms at 2)."""
    secret_key: str = Field(
        default=DEV_SECRET_KEY,
        description="Keys the HMACs of idempotency fingerprints and of client addresses in"
        " Redis; at least 32 characters, refused in production while it is the development one",
    )
    # Limits, in the `limits` notation ("N/period", several joined by ';'), counted in Redis.
    kiosk_rate: str = Field(
        default="30/minute", description="Tickets per kiosk device (a person takes ~15 s)"
    )
    public_rate_per_address: str = Field(
        default="3/minute;10/hour",
        description="Tickets per client address on the public channel (no kiosk token)",
    )
    public_rate_site: str = Field(
        default="60/minute", description="Tickets per minute on the public channel, all addresses"
    )
    ticket_lookup_misses_per_address: str = Field(
        default="30/minute", description="Unknown ticket ids one address may ask for"
    )
    signin_failures_per_address: str = Field(
        default="10/5 minutes", description="Wrong tokens from one address before 429"
    )
    signin_failures_per_counter: str = Field(
        default="20/5 minutes", description="Wrong tokens at one counter before 429"
    )

    @model_validator(mode="after")
    def _no_dev_secrets_in_production(self) -> "Settings":
        if self.redis_wait_replicas is None:
            self.redis_wait_replicas = 1 if "+cluster://" in self.redis_url else 0
        for spec in (
            self.kiosk_rate,
            self.public_rate_per_address,
            self.public_rate_site,
            self.ticket_lookup_misses_per_address,
            self.signin_failures_per_address,
            self.signin_failures_per_counter,
        ):
            parse_many(spec)  # a typo fails at start, not on the first ticket
        if self.environment == "production":
            if self.clock_offset_s or self.clock_rate != 1:
                raise ValueError("TICKETING_CLOCK_* settings are for development and tests only")
            refuse_dev_phone_keys(self.phone_key, "TICKETING_PHONE_KEY")
            key = self.secret_key.strip()
            if key == DEV_SECRET_KEY or len(key) < 32:
                raise ValueError(
                    "TICKETING_SECRET_KEY must be a secret of at least 32 characters (e.g."
                    ' python -c "import secrets; print(secrets.token_urlsafe(32))")'
                )
        return self
