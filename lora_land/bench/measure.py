"""Measuring helpers the benchmark's parts share: best-of timing, percentiles, a process's resident memory.

Plain Python (no torch), so that the parts that drive a running app over HTTP, (g) and
the soak, load nothing that changes how this process or the app it starts computes.
"""

from __future__ import annotations

import time
from pathlib import Path


def rss_bytes(pid: int | str = "self") -> int:
    """Resident memory of a process, this one by default (Linux /proc; 0 elsewhere or once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def best_of(fn, repeat: int) -> float:
    """The fastest of `repeat` timed runs of fn() (after one warm-up run), in seconds."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def per_call_us(fn, repeat: int, calls: int = 200) -> float:
    return best_of(lambda: [fn() for _ in range(calls)], repeat) / calls * 1e6


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank; 0.0 for none."""
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def summarise(name: str, latencies: list[float], tokens: int, wall: float) -> dict:
    return {"server": name, "requests": len(latencies), "seconds": wall, "tokens_per_second": tokens / wall,
            "requests_per_second": len(latencies) / wall, "p50_latency_s": percentile(latencies, 0.5),
            "p95_latency_s": percentile(latencies, 0.95)}

