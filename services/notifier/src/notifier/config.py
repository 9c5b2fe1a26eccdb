"""Notifier settings, from NOTIFIER_* environment variables."""

from typing import Literal

from antre_contracts.phone import DEV_PHONE_KEY, refuse_dev_phone_keys
from antre_contracts.topics import DEAD_LETTERS, QUEUE_EVENTS
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from notifier.dlr import dlr_secrets
from notifier.refusals import (
    DEV_DLR_SECRET,
    DEV_KANNEL_PASSWORD,
    DEV_NUMBER_HASH_KEY,
    refuse_dev_password,
    refuse_weak_secrets,
)

Provider = Literal["kannel", "http", "log"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_")

    environment: Literal["development", "test", "production"] = "development"
    host: str = Field(default="127.0.0.1", description="0.0.0.0 in a container")
    port: int = 8003
    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6380/0"  # its own Redis (deploy/local: redis-notifier)
    redis_connections: int = Field(default=64, ge=4, description="Pool size; callers wait")
    topic: str = QUEUE_EVENTS
    dead_letter_topic: str = DEAD_LETTERS
    group_id: str = "notifier"
    group_instance_id: str | None = Field(
        default=None,
        description="Kafka static membership: a notifier restarted with the same id takes its"
        " partitions back at once instead of waiting for the dead one's session to time out."
        " Unique per replica (two running processes with one id fence each other); unset: none",
    )
    session_timeout_ms: int = Field(
        default=6000, ge=6000, description="A consumer silent this long leaves the group"
    )
    catalog_path: str = "deploy/catalog/mpp-kutai-timur.toml"
    templates_path: str = Field(
        default="", description="Staff-editable SMS texts; empty = the packaged templates/sms.toml"
    )
    phone_key: str = Field(
        default=DEV_PHONE_KEY,
        description="Fernet key(s), newest first: NEW,OLD while rotating (the first encrypts)",
    )
    number_hash_key: str = Field(
        default=DEV_NUMBER_HASH_KEY,
        description="Secret of the HMAC that stands for a phone number in Redis (rate window,"
        " daily cap). Its own secret, not derived from NOTIFIER_PHONE_KEY: rotating the Fernet"
        " keys must not reset every number's counts. The same on every replica",
    )
    phone_region: str = "ID"

    # What to send
    near_turn_position: int = Field(default=3, ge=1, description="SMS when N-th in line")
    near_turn_by_service: dict[str, int] = Field(default_factory=dict)
    survey_enabled: bool = True
    survey_url: str | None = Field(
        default=None,
        description="Where the survey SMS points; {ticket_id} becomes the ticket's id. Unset:"
        " the catalog's survey_url, else Antre's own survey page on 127.0.0.1:8004",
    )
    called_max_age_s: float = Field(default=300, description="Older 'called' notices are dropped")
    near_turn_max_age_s: float = Field(default=1800)
    issued_max_age_s: float = Field(
        default=3600,
        description="Older 'issued' notices are dropped: a new consumer group reading the topic"
        " from the start, or an hour-long gateway outage, must not text yesterday's tickets",
    )
    survey_max_age_s: float = Field(
        default=3600,
        description="Older 'survey' notices are dropped: a new consumer group reading the topic"
        " from the start must not text every visitor served within Kafka's retention",
    )
    booked_max_age_s: float = Field(
        default=3600, description="Older booking confirmations are dropped"
    )
    reminder_max_age_s: float = Field(
        default=6 * 3600,
        description="Older reminders are dropped (sent the day before: after six hours it could"
        " arrive on the day itself)",
    )
    next_step_max_age_s: float = Field(
        default=1800, description="Older 'next step' notices (a visit across agencies) are dropped"
    )
    ticket_ttl_s: int = Field(default=2 * 86400, description="How long ticket info/once-keys live")

    # The SMS bill ceiling, per site and the site's local day (README, "Limits")
    sms_per_number_per_day: int = Field(
        default=12,
        ge=1,
        description="SMS a day to one number; more are skipped. A visit is at most 4 (issued,"
        " near turn, called, survey), 6 with a transfer: 12 is two such visits or a family's"
        " tickets on one phone, and stops anyone texting a victim through the kiosk",
    )
    sms_daily_budget: int = Field(
        default=8000,
        ge=1,
        description="SMS a day for a whole site; more are skipped. ~1,500 visitors x 4 SMS if"
        " every one gave a number, plus transfers: ~6,300 on a full day; 8,000 leaves a quarter"
        " more and caps the bill of a flood at a known amount",
    )

    # How to send
    provider: Provider = "log"
    kannel_url: str = "http://127.0.0.1:13013/cgi-bin/sendsms"
    kannel_username: str = "antre"
    kannel_password: str = DEV_KANNEL_PASSWORD
    kannel_sender: str = "ANTRE"
    # Kannel 1.4.5 stalls some replies ~40 ms when delivery reports are on (Nagle against
    # delayed ACKs between its boxes): with 16 connections the notifier sent ~300 SMS/s.
    kannel_connections: int = Field(default=64, ge=1)
    http_connections: int = Field(default=16, ge=1, description="Generic gateway concurrency")
    http_url: str = ""
    http_method: str = "POST"
    http_body_template: str = '{{"to": {to_json}, "text": {text_json}}}'
    http_content_type: str = "application/json"
    http_auth_header: str = Field(default="", description="e.g. 'Authorization: Bearer xyz'")
    gateway_timeout_s: float = 5.0

    # Retries, rate limit, crash recovery
    retry_base_s: float = 0.5
    retry_max_delay_s: float = 60.0
    retry_max_attempts: int = Field(default=20, ge=1, description="~15 min of outage at defaults")
    rate_limit_count: int = Field(default=6, ge=1, description="SMS per number per window")
    rate_limit_window_s: int = Field(default=600, ge=1)
    lease_s: float = Field(
        default=10.0, description="A claimed notice not finished by then is in doubt"
    )
    in_doubt: Literal["dlr", "drop", "resend"] | None = Field(
        default=None,
        description="After a crash mid-send: dlr (Kannel's delivery reports say whether it was"
        " sent; default with kannel), drop (no duplicate; default otherwise) or resend",
    )
    in_doubt_hold_s: float = Field(
        default=10.0,
        ge=0,
        description="dlr: an unconfirmed in-doubt notice is resent only this long after its claim"
        " and after this process started (smsbox retries a missed report meanwhile)",
    )
    public_url: str = Field(
        default="", description="How Kannel reaches this notifier; empty = http://127.0.0.1:<port>"
    )
    dlr_mask: int = Field(default=24, description="Kannel dlr-mask: 8 SMSC accepted, 16 rejected")
    dlr_secret: str = Field(
        default=DEV_DLR_SECRET,
        description="Signs the dlr-url of each SMS (an HMAC of site and notice, not the secret"
        " itself), so only Kannel can report on it. NEW,OLD while rotating (the first signs)",
    )
    send_batch: int = Field(default=64, ge=1)
    fetch_max_wait_ms: int = Field(
        default=100, ge=0, description="Kafka fetch wait when idle; a record ends it at once"
    )
    batch_wait_ms: int = Field(
        default=1000, ge=1, description="Longest consumer poll; a record ends it (long_poll)"
    )
    commit_interval_ms: int = Field(
        default=100, ge=0, description="Least time between offset commits (redelivery bound)"
    )
    gauges_every_s: float = Field(
        default=5.0, gt=0, description="How often consumer lag and the outbox backlog are read"
    )
    idle_poll_s: float = 0.05

    @model_validator(mode="after")
    def _consistent(self) -> "Settings":
        if self.provider == "http" and not self.http_url:
            raise ValueError("NOTIFIER_HTTP_URL is required with NOTIFIER_PROVIDER=http")
        if self.in_doubt is None:
            self.in_doubt = "dlr" if self.provider == "kannel" else "drop"
        if self.in_doubt == "dlr" and self.provider != "kannel":
            raise ValueError("NOTIFIER_IN_DOUBT=dlr needs NOTIFIER_PROVIDER=kannel")
        if self.in_doubt == "dlr":
            dlr_secrets(self.dlr_secret)  # empty: no report could ever be verified
        if not self.public_url:
            self.public_url = f"http://127.0.0.1:{self.port}"
        if self.environment != "development":
            self._refuse_dev_secrets()
        return self

    def _refuse_dev_secrets(self) -> None:
        """What production must set itself (README, "What production refuses")."""
        refuse_dev_phone_keys(self.phone_key, "NOTIFIER_PHONE_KEY")
        refuse_weak_secrets([self.number_hash_key], DEV_NUMBER_HASH_KEY, "NOTIFIER_NUMBER_HASH_KEY")
        if self.provider == "kannel":
            refuse_dev_password(self.kannel_password, "NOTIFIER_KANNEL_PASSWORD")
        if self.in_doubt == "dlr":
            secrets = dlr_secrets(self.dlr_secret)
            refuse_weak_secrets(secrets, DEV_DLR_SECRET, "NOTIFIER_DLR_SECRET")

    def near_turn_for(self, service_id: str) -> int:
        return self.near_turn_by_service.get(service_id, self.near_turn_position)
