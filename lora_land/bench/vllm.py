"""Part (h), `--vllm`: our engine and a vLLM server on the same model, adapters and workloads, one after the other.

vLLM is reached only through its OpenAI API (`RemoteEngine`), as the app reaches it; this
module imports nothing of vLLM. Also the SQLite log's capacity in rows a second, the
ceiling for any server behind one app.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from lora_land.bench.load import compare_section, load_engine, workload
from lora_land.bench.measure import best_of
from lora_land.bench.models import N_ADAPTERS, NEW_TOKENS, ROWS, machine, torch
from lora_land.catalog import load_catalog
from lora_land.engine import Engine, Limits


def side_by_side(engine, name: str, prompts: list[str], names: list[str], work, repeat: int) -> dict:
    """(a), (c) and (d) on one server: our engine in process, or vLLM through its OpenAI API."""
    mixed = [names[i % len(names)] for i in range(len(prompts))]

    def batch(adapters):
        engine.generate(prompts, adapters, max_new_tokens=NEW_TOKENS, ignore_eos=True)

    engine.generate(prompts[: len(names)], names, max_new_tokens=1)  # every adapter loaded once
    r = {"server": name}
    r["base_s"] = best_of(lambda: batch(["base"] * len(prompts)), repeat)
    r["mixed_s"] = best_of(lambda: batch(mixed), repeat)
    r["mixed_over_base"] = r["mixed_s"] / r["base_s"]
    r["load"] = {**load_engine(engine, work), "server": name}
    r["compare"] = compare_section(engine, prompts[0], names[0], repeat)
    return r


def vllm_run(args) -> dict:
    """Our engine, then vLLM on the same model and adapters, one at a time, with the same workloads.

    vLLM runs from its own environment (scripts/vllm-venv) in float32, like the demo's
    engine, with all 25 adapters resident (--max-loras 25) and the same context (1024).
    Our engine is called in process; vLLM through its HTTP API by `RemoteEngine`, as the
    app calls each. Each runs alone: vLLM starts after our engine has closed.
    """
    import socket

    from lora_land import vllm_server
    from lora_land.miniatures import make_split
    from lora_land.remote import RemoteEngine

    if args.threads:
        torch.set_num_threads(args.threads)
    catalog = load_catalog(args.config)
    repeat = args.repeat or (1 if args.quick else 3)
    n_requests = args.requests or (60 if args.quick else 200)
    names = [k for k, t in catalog.tasks.items() if t.adapters["demo"].source][:N_ADAPTERS]
    prompts = [catalog.task(k).render(make_split(k, "test", 1)[0].fields) for k in names]
    prompts = [prompts[i % len(prompts)] for i in range(ROWS)]
    work = workload(catalog, n_requests, rate=args.rate, seed=0)
    report: dict = {"machine": machine(), "quick": args.quick, "rows": ROWS, "new_tokens": NEW_TOKENS,
                    "requests": n_requests, "rate_per_second": args.rate, "servers": []}

    print("our engine ...", flush=True)
    with Engine.from_config(args.config, "demo", limits=Limits(max_rows=ROWS)) as engine:
        report["servers"].append(side_by_side(engine, "LoRA Land engine", prompts, names, work, repeat))

    url = args.vllm_url
    server = None
    if url is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{s.getsockname()[1]}"
        print("starting vLLM ...", flush=True)
        started = time.perf_counter()
        server = vllm_server.start(catalog, "vllm-demo", Path(tempfile.mkdtemp()) / "vllm.log", url=url,
                                   max_model_len=1024)
        report["vllm_start_s"] = time.perf_counter() - started
    try:
        print("vLLM ...", flush=True)
        with RemoteEngine.from_config(args.config, "vllm-demo", url=url) as remote:
            report["vllm_version"] = httpx_version(url)
            report["servers"].append(side_by_side(remote, "vLLM (CPU build, OpenAI API)", prompts, names, work, repeat))
    finally:
        if server is not None:
            server.stop()
    print("the log ...", flush=True)
    report["log"] = log_section(2.0 if args.quick else 5.0)
    return report


def log_section(seconds: float = 5.0) -> dict:
    """The SQLite log's capacity: rows a second it takes as the app writes them (begin, one save, finish).

    Each request is one row written three times at least (accepted, saved while streaming,
    finished). Writes are serialised by one lock, so this is the ceiling for all servers
    behind one app, whatever they generate.
    """
    from lora_land.scheduler import Completion
    from lora_land.store import Store

    with tempfile.TemporaryDirectory(prefix="lora-land-bench-log-") as tmp:
        store = Store(Path(tmp) / "bench.db")
        answer = "An answer of a few dozen tokens, about as long as the demo's. " * 3
        done = Completion(request_id=0, adapter="glue_sst2", text=answer, finish_reason="eos", tokens_in=120,
                          tokens_out=32, queue_seconds=0.01, time_to_first_token=0.05, total_seconds=0.5,
                          tokens_per_second=64.0)
        rows, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            row = store.begin(source="api", kind="completion", adapter="glue_sst2", fields={"sentence": "a film"},
                              prompt="Classify: a film " * 20, params={"max_new_tokens": 32}, base=True)
            store.progress(row, output=answer[:40], base_output=answer[:40])
            store.finish(row, status="complete", tuned=done, base=done, batch_peak=8)
            rows += 1
        wall = time.perf_counter() - start
        store.close()
    return {"rows": rows, "seconds": wall, "rows_per_second": rows / wall}


def httpx_version(url: str) -> str | None:
    import httpx

    try:
        return httpx.get(f"{url}/version", timeout=5).json().get("version")
    except (httpx.HTTPError, ValueError):
        return None


def print_vllm(report: dict) -> None:
    ours, theirs = report["servers"][0], report["servers"][1]
    print(f"\n(h) side by side: {report['rows']} rows x {report['new_tokens']} tokens; {report['requests']} Poisson "
          f"requests at {report['rate_per_second']}/s over 25 adapters")
    print(f"{'server':<32} {'base s':>7} {'mixed s':>8} {'mixed/base':>11} {'load tok/s':>11} {'p50 s':>6} "
          f"{'p95 s':>6} {'pair/one':>9}")
    for r in (ours, theirs):
        print(f"{r['server']:<32} {r['base_s']:>7.2f} {r['mixed_s']:>8.2f} {r['mixed_over_base']:>10.2f}x "
              f"{r['load']['tokens_per_second']:>11.1f} {r['load']['p50_latency_s']:>6.2f} "
              f"{r['load']['p95_latency_s']:>6.2f} {r['compare']['pair_over_one']:>8.2f}x")
    if "log" in report:
        fastest = max(r["load"]["requests_per_second"] for r in report["servers"])
        print(f"the SQLite log takes {report['log']['rows_per_second']:.0f} rows/s; the load above asked for "
              f"{fastest:.1f} rows/s at most ({report['log']['rows_per_second'] / fastest:.0f}x headroom)")

