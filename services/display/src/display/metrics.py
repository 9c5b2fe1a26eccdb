"""Prometheus metrics of the display, in one registry per app (tests build several apps)."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.events = Counter(
            "display_events_total",
            "Queue events handled, by type and result (applied, noop, stale, dead_letter)",
            ["type", "result"],
            registry=self.registry,
        )
        self.boards = Gauge(
            "display_boards_connected",
            "Boards (SSE clients) connected to this process",
            registry=self.registry,
        )
        self.call_to_push = Histogram(
            "display_call_to_push_seconds",
            "From the call event's Kafka timestamp to its update handed to this process's boards",
            buckets=(0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.dropped = Counter(
            "display_boards_dropped_total",
            "Boards disconnected, each once, by reason: overflow (fell a whole queue behind) or"
            " send_timeout (took no write for the send timeout); they resume by Last-Event-ID",
            ["reason"],
            registry=self.registry,
        )
        for reason in ("overflow", "send_timeout"):
            self.dropped.labels(reason)  # both series exist from the start, at 0
        self.refused = Counter(
            "display_boards_refused_total",
            "Board streams refused (503) because this process serves its maximum of boards",
            registry=self.registry,
        )
        # The hall voice (voice.py)
        self.voice_cache_hits = Counter(
            "display_voice_cache_hits_total",
            "Announcement audio served from the cache, without a render",
            registry=self.registry,
        )
        self.voice_renders = Counter(
            "display_voice_renders_total",
            "Announcement audio rendered, by engine (espeak, clips)",
            ["engine"],
            registry=self.registry,
        )
        self.voice_failures = Counter(
            "display_voice_render_failures_total",
            "Renders that failed, by engine and reason (missing, timeout, error); clips that"
            " fail fall back to espeak, espeak failing is a 503 and the board's browser voice",
            ["engine", "reason"],
            registry=self.registry,
        )
        self.voice_refused = Counter(
            "display_voice_refused_total",
            "Audio requests refused (503) because DISPLAY_VOICE_QUEUE renders already wait",
            registry=self.registry,
        )
        self.voice_render_seconds = Histogram(
            "display_voice_render_seconds",
            "Time of one render (its programs only, not the wait for a free process), by engine",
            ["engine"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.voice_cache_bytes = Gauge(
            "display_voice_cache_bytes",
            "Bytes of announcement audio held in the cache (at most DISPLAY_VOICE_CACHE_MB)",
            registry=self.registry,
        )
        for engine in ("espeak", "clips"):
            self.voice_renders.labels(engine)
