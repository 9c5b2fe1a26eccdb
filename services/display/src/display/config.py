"""Display settings, from the environment (prefix DISPLAY_)."""

from pathlib import Path
from typing import Literal

from antre_contracts.topics import DEAD_LETTERS, QUEUE_EVENTS
from pydantic import DirectoryPath, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO = Path(__file__).resolve().parents[4]


class Settings(BaseSettings):
    """Everything the display needs to run; tests override topic, group and site per run."""

    model_config = SettingsConfigDict(env_prefix="DISPLAY_")

    environment: str = "development"
    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6381/0"  # its own Redis (deploy/local: redis-display)
    topic: str = QUEUE_EVENTS
    dlq_topic: str = DEAD_LETTERS
    group_id: str = "display"
    group_instance_id: str | None = Field(
        default=None,
        description="Kafka static membership: a display restarted with the same id takes its"
        " partitions back at once instead of waiting for the dead one's session to time out."
        " Unique per replica (two running processes with one id fence each other); unset: none",
    )
    session_timeout_ms: int = Field(
        default=6000, ge=6000, description="A consumer silent this long leaves the group"
    )
    catalog_path: Path = REPO / "deploy" / "catalog" / "mpp-kutai-timur.toml"
    site_id: str | None = Field(default=None, description="Overrides the catalog's site id")
    hall_path: Literal[""] | Path | None = Field(
        default=None,
        description="The site's hall content (messages, media loop, persyaratan; hall.py), its"
        " media folder beside it. Unset: `<catalog name>.hall.toml` beside the catalog, if"
        " there is one (the demo's is); empty: the board shows calls and the running text only",
    )
    host: str = "127.0.0.1"
    port: int = 8002
    running_text: str | None = Field(default=None, description="Overrides the catalog's text")
    recent_calls: int = Field(default=8, ge=1, le=50, description="Calls kept in the hall list")
    stream_maxlen: int = Field(
        default=5000, ge=100, description="Board updates kept for Last-Event-ID resumes"
    )
    # How long the broker holds a fetch that finds nothing. A record ends the wait at once
    # (fetch_min_bytes 1): at one record every 230 ms over 6 partitions, 5, 100 and 500 ms all
    # gave p50 1.1-1.6 ms. So it is not latency but the cost of idling: at 5 ms an idle display
    # sent 200 empty fetches a second, 7% of a core; at 100 ms, 1% in all. It also bounds how
    # long a rewind waits for the fetch in flight.
    fetch_max_wait_ms: int = Field(default=100, ge=0)
    batch_max: int = Field(default=200, ge=1, description="Events applied in one Redis call")
    batch_wait_ms: int = Field(
        default=1000,
        ge=1,
        description="Longest wait of one consumer poll; a record ends it at once (long_poll)",
    )
    commit_interval_ms: int = Field(
        default=100, ge=0, description="Least time between offset commits (redelivery bound)"
    )
    redis_connections: int = Field(default=32, ge=4, description="Pool size; callers wait")
    heartbeat_s: float = Field(default=5.0, gt=0, description="SSE keep-alive event interval")
    client_queue: int = Field(default=1000, ge=10, description="Updates buffered per board")
    max_boards: int = Field(
        default=500,
        ge=1,
        description="Board streams one process serves at once; one more gets a 503 problem."
        " Each holds a socket and up to CLIENT_QUEUE updates",
    )
    send_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="A board whose client takes no write for this long is dropped (it stopped"
        " reading: its queue and buffers would be held for nothing)",
    )
    tcp_user_timeout_s: float = Field(
        default=30.0,
        ge=0,
        description="The kernel closes a connection whose client has taken nothing for this"
        " long (TCP_USER_TIMEOUT): what frees the socket of a board dropped for its send"
        " timeout that never reads again. Longer than SEND_TIMEOUT_S; 0: the system's (minutes)",
    )
    # The hall voice (voice.py): each call's announcement served as a WAV file.
    voice_clips: DirectoryPath | None = Field(
        default=None,
        description="A folder of recorded clips, one WAV per spoken word (nomor.wav, a.wav,"
        " tujuh.wav, ...; one sample rate and channel count for all): an announcement whose"
        " every word has a clip is joined from them, any other is spoken by espeak-ng."
        " Read at start; unset: espeak-ng only",
    )
    voice_espeak: str = Field(default="espeak-ng", description="The espeak-ng program")
    voice_sox: str = Field(default="sox", description="The sox program")
    voice_speed_wpm: int = Field(
        default=140, ge=80, le=300, description="espeak-ng's speed, words a minute"
    )
    # A render costs ~15 ms of CPU (bench/display/voice.py): one at a time serves ~60 new calls
    # a second, far above a hall's, and leaves the other core to the display whatever a client
    # asks for.
    voice_processes: int = Field(
        default=1, ge=1, le=16, description="espeak-ng/sox renders running at once"
    )
    voice_queue: int = Field(
        default=64,
        ge=0,
        description="Renders waiting for a process (64 wait ~1 s); one more is refused (503)"
        " and the board speaks with the browser's voice instead",
    )
    voice_timeout_s: float = Field(default=10.0, gt=0, description="A render's time limit")
    voice_cache_mb: float = Field(
        default=32.0, ge=0, description="Rendered announcements kept in memory (≈180 kB each)"
    )

    def hall_file(self) -> Path | None:
        """The hall file the display shows, if any (see `hall_path`)."""
        if self.hall_path is None:
            beside = self.catalog_path.with_name(self.catalog_path.stem + ".hall.toml")
            return beside if beside.is_file() else None
        return self.hall_path or None
