"""The log's summaries, for the page's Stats tab: per adapter, requests, outcomes, votes and latency
percentiles; over time, finished requests per bucket.

The queries and the arithmetic over their rows. This module opens no connection and takes
no lock: `Store.per_adapter` and `Store.timeline` run the queries under the store's lock
and hand the rows here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from lora_land.migrations import TABLE

PER_ADAPTER = f"""
    select adapter, count(*) as requests,
           count(case when status = 'complete' then 1 end) as complete,
           count(case when status = 'error' then 1 end) as errors,
           count(case when status = 'cancelled' then 1 end) as cancelled,
           count(case when vote = 'fine-tuned' then 1 end) as fine_tuned_won,
           count(case when vote = 'base' then 1 end) as base_won,
           count(case when vote = 'tie' then 1 end) as ties,
           count(case when vote = 'both-bad' then 1 end) as both_bad
    from {TABLE} group by adapter order by requests desc, adapter
"""
LATENCIES = f"select adapter, total_seconds, ttft from {TABLE} where status = 'complete' and total_seconds is not null"
FINISHED = (
    f"select finished, total_seconds, coalesce(tokens_out, 0) + coalesce(base_tokens_out, 0) as tokens "
    f"from {TABLE} where finished is not null and status = 'complete' order by finished"
)


def per_adapter(counts: list[dict], latency_rows: Iterable[dict]) -> list[dict]:
    """PER_ADAPTER's rows with each adapter's latency percentiles added, from LATENCIES' rows."""
    latencies: dict[str, list[tuple[float, float | None]]] = {}
    for row in latency_rows:
        latencies.setdefault(row["adapter"], []).append((row["total_seconds"], row["ttft"]))
    for row in counts:
        seen = latencies.get(row["adapter"], [])
        totals = sorted(t for t, _ in seen)
        ttfts = sorted(f for _, f in seen if f is not None)
        row.update({f"p{p}_seconds": percentile(totals, p) for p in (50, 95, 99)})
        row["p50_ttft"] = percentile(ttfts, 50)
        row["p95_ttft"] = percentile(ttfts, 95)
    return counts


def timeline(rows: list[dict], bucket_seconds: int) -> list[dict]:
    """FINISHED's rows per time bucket: count, tokens per second across the bucket, mean and p95 latency."""
    buckets: dict[int, list[dict]] = {}
    for row in rows:
        t = datetime.fromisoformat(row["finished"]).timestamp()
        buckets.setdefault(int(t // bucket_seconds), []).append(row)
    out = []
    keys = sorted(buckets)
    if keys and keys[-1] - keys[0] < 2000:  # idle buckets in between show as zero, not as a straight line
        keys = list(range(keys[0], keys[-1] + 1))
    for key in keys:
        group = buckets.get(key, [])
        if not group:
            out.append({"time": datetime.fromtimestamp(key * bucket_seconds, timezone.utc).isoformat(
                timespec="seconds"), "requests": 0, "tokens_per_second": 0.0, "mean_seconds": None,
                "p95_seconds": None})
            continue
        latencies = sorted(r["total_seconds"] or 0.0 for r in group)
        out.append({
            "time": datetime.fromtimestamp(key * bucket_seconds, timezone.utc).isoformat(timespec="seconds"),
            "requests": len(group),
            "tokens_per_second": sum(r["tokens"] for r in group) / bucket_seconds,
            "mean_seconds": sum(latencies) / len(latencies),
            "p95_seconds": percentile(latencies, 95),
        })
    return out


def percentile(sorted_values: list[float], p: float) -> float | None:
    """The p-th percentile by the nearest-rank method; None for no values."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]
