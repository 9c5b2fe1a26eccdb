"""The hall voice's cost: one render (espeak-ng + sox), the size of a call's audio, a burst of
new calls against the display's limits, and a cached call asked by many boards at once.

    uv run python bench/display/voice.py --calls 60 --burst 100 --boards 100

In-process (the display's own Voice and Engines, real espeak-ng and sox), no Kafka or Redis:
what a render costs does not depend on them. Writes bench/display/results-voice.json.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from display.config import Settings  # noqa: E402
from display.metrics import Metrics  # noqa: E402
from display.synth import Engines  # noqa: E402
from display.texts import announcement  # noqa: E402
from display.voice import Voice, VoiceBusy  # noqa: E402


def ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def main(calls: int, burst: int, boards: int) -> dict[str, object]:
    engines = Engines()
    texts = [announcement(f"A-{n:03d}", 1 + n % 15) for n in range(1, calls + 1)]
    took, sizes = [], []
    cpu0 = os.times()
    for text in texts:  # one at a time: a render's own cost
        started = time.perf_counter()
        sizes.append(len(await engines.espeak_wav(text)))
        took.append(time.perf_counter() - started)
    cpu1 = os.times()
    children_cpu = (cpu1.children_user + cpu1.children_system) - (
        cpu0.children_user + cpu0.children_system
    )

    # A burst of new calls at once, with the display's default limits.
    settings = Settings()
    cache_bytes = int(settings.voice_cache_mb * 1_000_000)
    metrics = Metrics()
    voice = Voice(engines, metrics, settings.voice_processes, settings.voice_queue, cache_bytes)
    fresh = [announcement(f"B-{n:03d}", 3) for n in range(1, burst + 1)]
    started = time.perf_counter()
    answers = await asyncio.gather(*(voice.audio(t) for t in fresh), return_exceptions=True)
    burst_s = time.perf_counter() - started
    refused = sum(isinstance(a, VoiceBusy) for a in answers)

    # Many boards asking for one new call together, then again (cached).
    call = announcement("C-777", 7)
    started = time.perf_counter()
    await asyncio.gather(*(voice.audio(call) for _ in range(boards)))
    shared_s = time.perf_counter() - started
    started = time.perf_counter()
    await asyncio.gather(*(voice.audio(call) for _ in range(boards)))
    cached_s = time.perf_counter() - started
    registry = metrics.registry
    return {
        "machine_cpus": os.cpu_count(),
        "render_one_at_a_time": {
            "calls": calls,
            **ms(took),
            "cpu_ms_per_render": round(children_cpu / calls * 1000, 1),
        },
        "audio_kb": {"mean": round(statistics.mean(sizes) / 1000), "max": max(sizes) // 1000},
        "burst_of_new_calls": {
            "calls": burst,
            "processes": settings.voice_processes,
            "queue": settings.voice_queue,
            "served": burst - refused,
            "refused_503": refused,
            "seconds": round(burst_s, 2),
        },
        "boards_on_one_new_call": {
            "boards": boards,
            "renders": (
                registry.get_sample_value("display_voice_renders_total", {"engine": "espeak"}) or 0
            )
            - (burst - refused),
            "first_seconds": round(shared_s, 3),
            "cached_seconds": round(cached_s, 4),
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--boards", type=int, default=100)
    args = parser.parse_args()
    result = asyncio.run(main(args.calls, args.burst, args.boards))
    print(json.dumps(result, indent=2))
    (Path(__file__).parent / "results-voice.json").write_text(json.dumps(result, indent=2) + "\n")
