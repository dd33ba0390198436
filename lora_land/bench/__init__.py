"""`python -m lora_land.bench`: how fast the engine serves many adapters, as ratios within one run.

Measured on one machine in one process, so every figure has its baseline beside it:

(a) mixed-adapter cost: a 32-row batch over 25 adapters versus the same batch on the
    base alone, for the engine and for PEFT's `adapter_names=` mixed batch, on the demo
    model and on a ~150M-parameter Mistral-shaped model with random weights and adapters;
(b) the engine on a base-only batch versus `model.generate` on the same batch;
(c) load: requests arriving at random (Poisson) over 25 adapters, mixed prompt and answer
    lengths, served by the engine, by one-at-a-time PEFT (`set_adapter` + `generate`)
    and by static batches that run to completion: throughput, p50 and p95 latency;
(d) compare: an adapter+base pair versus one request;
(e) memory: resident memory with the adapters loaded versus none;
(g) `--app URL`: a running app, its page and API users at once versus in turn;
(h) `--vllm`: (a), (c) and (d) on our engine and on a vLLM server with the same model
    and adapters, one after the other;
`--soak [SECONDS]`: a running app under mixed page and API traffic for a fixed time
    (300 s by default): errors, latency and the server's memory over time, and no row lost.

It prints a table and writes the figures as JSON. Not a test: machines are noisy, so
nothing here asserts a number.

The parts live in modules of their own: `models` (what the in-process parts run on),
`batch` (a, b, f), `load` (c, d, e and the default run), `vllm` (h), `app` (g), `soak`,
`server` (a real `python app.py`), `measure` (timing, percentiles, memory), `cli`. Names
are imported from here as before (`from lora_land.bench import app_section`); each loads
its module when first asked for, so that driving an app over HTTP never loads torch.
"""

from __future__ import annotations

import importlib

_PARTS = {
    "measure": ["best_of", "per_call_us", "percentile", "rss_bytes", "summarise"],
    "models": ["ALL_LINEAR", "ATTENTION", "MIXES", "NEW_TOKENS", "N_ADAPTERS", "ROWS", "SHAPES_150M", "SHAPES_7B",
               "engine_generate", "hf_generate", "peft_model", "random_model", "sync", "write_random_adapters"],
    "batch": ["batch_section", "mistral_run", "op_section", "profile_table", "random_section"],
    "load": ["compare_section", "load_engine", "load_one_at_a_time", "load_static", "median_report", "memory_probe",
             "print_report", "run", "workload"],
    "vllm": ["httpx_version", "log_section", "print_vllm", "side_by_side", "vllm_run"],
    "app": ["app_section", "page_chat", "page_compare", "print_app"],
    "soak": ["check_log", "print_soak", "soak"],
    "server": ["AppServer", "free_port", "rows", "start_app"],
    "cli": ["main"],
}
_WHERE = {name: part for part, names in _PARTS.items() for name in names}


def __getattr__(name: str):
    """`bench.<name>`: the name from the module that holds it, imported now (PEP 562)."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
