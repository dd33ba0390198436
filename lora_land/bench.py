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
    and adapters, one after the other.

It prints a table and writes the figures as JSON. Not a test: machines are noisy, so
nothing here asserts a number.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import tempfile
import threading
import time
from pathlib import Path

# Before torch loads OpenMP. The engine computes on its own thread and the baselines (transformers' generate,
# PEFT) on this one: with two OpenMP thread teams on a 2-core machine libgomp throttles its spin-waiting and every
# small op pays a thread wake-up, which made the demo's mixed batch measure 2x slower. Spinning threads serve every
# contender alike; an app process computes on the engine thread alone and never meets this.
os.environ.setdefault("OMP_WAIT_POLICY", "ACTIVE")

import torch  # noqa: E402

from lora_land.catalog import load_catalog  # noqa: E402
from lora_land.engine import Engine, Limits  # noqa: E402

ROWS, NEW_TOKENS, N_ADAPTERS = 32, 32, 25
SHAPES_150M = dict(hidden_size=768, intermediate_size=2048, num_hidden_layers=16, num_attention_heads=12,
                   num_key_value_heads=4, vocab_size=32000, max_position_embeddings=2048)
SHAPES_7B = dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=8, vocab_size=32000, max_position_embeddings=32768, sliding_window=4096)
ATTENTION = ["q_proj", "k_proj", "v_proj", "o_proj"]
ALL_LINEAR = ATTENTION + ["gate_proj", "up_proj", "down_proj"]
MIXES = {  # (rank, targets), cycled over the adapters
    "varied": [(8, ATTENTION), (16, ALL_LINEAR), (4, ATTENTION), (8, ALL_LINEAR), (16, ATTENTION)],
    "lora-land": [(8, ["q_proj", "v_proj"])],  # the published predibase/* adapters
}


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
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


def sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


# --- models and adapters ------------------------------------------------------------


def random_model(shapes: dict, dtype: torch.dtype, device: str, quantize: str | None, seed: int = 0):
    """A Mistral-shaped model with random weights (nothing is downloaded), built on `device`.

    NF4 is saved and loaded back through bitsandbytes, as a user's model would be.
    """
    from transformers import AutoModelForCausalLM, MistralConfig

    torch.manual_seed(seed)
    config = MistralConfig(**{"sliding_window": None, **shapes})
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    if quantize is None:
        return model.eval()
    directory = tempfile.mkdtemp(prefix="lora-land-bench-base-")
    model.save_pretrained(directory)
    del model
    from transformers import BitsAndBytesConfig

    q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype)
    return AutoModelForCausalLM.from_pretrained(directory, quantization_config=q, device_map={"": device},
                                                dtype=dtype).eval()


def write_random_adapters(model, directory: Path, n: int, base_name: str, mix: str = "varied", seed: int = 0) -> list[Path]:
    """n PEFT adapter directories with random weights, ranks and targets cycled from MIXES[mix]."""
    from lora_land.rehearsal import write_adapter

    g = torch.Generator().manual_seed(seed)
    shapes = {name: (m.in_features, m.out_features) for name, m in model.named_modules()
              if name.rsplit(".", 1)[-1] in ALL_LINEAR and hasattr(m, "in_features")}
    out = []
    for i in range(n):
        rank, targets = MIXES[mix][i % len(MIXES[mix])]
        out.append(write_adapter(directory / f"adapter{i:03d}", shapes, rank=rank, alpha=2 * rank, base=base_name,
                                 targets=targets, generator=g))
    return out


def peft_model(model, names: list[str], paths: list[Path]):
    """PEFT with every adapter loaded, wrapping `model` itself (give it a model of its own).

    Models are loaded afresh, never deep-copied: on this project's CPU machine, a process
    that had deep-copied a loaded model ran every later batch up to 2x slower (the
    engine's too), which no benchmark should carry.
    """
    from peft import PeftModel

    peft = PeftModel.from_pretrained(model, str(paths[0]), adapter_name=names[0])
    for name, path in zip(names[1:], paths[1:]):
        peft.load_adapter(str(path), adapter_name=name)
    return peft.eval()


# --- (a) and (b): one batch -------------------------------------------------------------


def hf_generate(model, tokenizer, prompts, new_tokens, **kwargs):
    enc = tokenizer(prompts, return_tensors="pt", padding=True).to(model.device)
    with torch.inference_mode():
        model.generate(**enc, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                       pad_token_id=tokenizer.pad_token_id, **kwargs)
    sync(model.device)


def engine_generate(engine, prompts, adapters, new_tokens):
    engine.generate(prompts, adapters, max_new_tokens=new_tokens, ignore_eos=True)
    sync(engine.model.device)


def batch_section(label, engine, hf_base, peft, tokenizer, prompts, names, repeat, with_peft=True) -> dict:
    """(a) and (b) on one model: seconds for ROWS rows x NEW_TOKENS tokens, and the ratios.

    The contenders run in turn, round after round (after one warm-up round), so that a
    busy spell on the machine falls on all of them: each one's seconds are its fastest
    round, each ratio the median of the per-round ratios.
    """
    import statistics

    mixed = [names[i % len(names)] for i in range(len(prompts))]
    tokenizer.padding_side = "left"

    def peft_base():
        with peft.disable_adapter():
            hf_generate(peft, tokenizer, prompts, NEW_TOKENS)

    runs = {"engine_base": lambda: engine_generate(engine, prompts, ["base"] * len(prompts), NEW_TOKENS),
            "engine_mixed": lambda: engine_generate(engine, prompts, mixed, NEW_TOKENS),
            "hf_generate_base": lambda: hf_generate(hf_base, tokenizer, prompts, NEW_TOKENS)}
    if with_peft:
        runs["peft_base"] = peft_base
        runs["peft_mixed"] = lambda: hf_generate(peft, tokenizer, prompts, NEW_TOKENS, adapter_names=mixed)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(repeat + 1):
        for name, fn in runs.items():
            started = time.perf_counter()
            fn()
            if round_:
                times[name].append(time.perf_counter() - started)

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    r = {"model": label, "rows": len(prompts), "new_tokens": NEW_TOKENS, "adapters_in_batch": len(set(mixed))}
    r.update({f"{name}_s": min(t) for name, t in times.items()})
    r["engine_mixed_over_base"] = ratio("engine_mixed", "engine_base")
    r["engine_base_speed_vs_generate"] = ratio("hf_generate_base", "engine_base")
    if with_peft:
        r["peft_mixed_over_base"] = ratio("peft_mixed", "peft_base")
        r["engine_mixed_speedup_over_peft_mixed"] = ratio("peft_mixed", "engine_mixed")
    return r


# --- (f) the op itself ---------------------------------------------------------------------


def op_section(repeat: int) -> list[dict]:
    """The LoRA op alone on one layer: grouped by adapter (SGMV-style) versus gathered per row (BGMV-style),
    one stack padded to rank 16 versus a stack per rank, beside the base layer."""
    from lora_land.lora import batched_lora

    rng = random.Random(0)
    L = N_ADAPTERS
    mixes = {
        "25 adapters, uniform": lambda n: [i % L for i in range(n)],
        "zipf-skewed": lambda n: rng.choices(range(L), weights=[1 / k for k in range(1, L + 1)], k=n),
        "one adapter": lambda n: [3] * n,
        "half base rows": lambda n: [-1 if i % 2 else i % 5 for i in range(n)],
    }
    ranks = [(4, 8, 16)[i % 3] for i in range(L)]  # for the stack-per-rank variant
    rows = []
    for label, n_in, n_out in [("demo MLP 192->512", 192, 512), ("150M MLP 768->2048", 768, 2048)]:
        A, B = torch.randn(L, n_in, 16) * 0.01, torch.randn(L, 16, n_out) * 0.01
        by_rank = {r: [i for i in range(L) if ranks[i] == r] for r in (4, 8, 16)}
        stacks = {r: (A[members][..., :r].contiguous(), B[members][:, :r].contiguous()) for r, members in by_rank.items()}
        layer = torch.nn.Linear(n_in, n_out, bias=False)
        for phase, N, T in [("decode", ROWS, 1), ("prefill", 4, 128)]:
            x = torch.randn(N, T, n_in)
            with torch.inference_mode():
                base_us = per_call_us(lambda: layer(x), repeat)
                for mix, make in mixes.items():
                    entries = make(N)
                    local = {r: [members.index(e) if e in members else -1 for e in entries]
                             for r, members in by_rank.items()}

                    def per_rank():
                        for r in by_rank:
                            batched_lora(x, *stacks[r], local[r])

                    rows.append({"layer": label, "phase": phase, "rows": N, "tokens_per_row": T, "mix": mix,
                                 "base_layer_us": base_us,
                                 "grouped_us": per_call_us(lambda: batched_lora(x, A, B, entries, True), repeat),
                                 "gather_us": per_call_us(lambda: batched_lora(x, A, B, entries, False), repeat),
                                 "stack_per_rank_us": per_call_us(per_rank, repeat)})
    return rows


def per_call_us(fn, repeat: int, calls: int = 200) -> float:
    return best_of(lambda: [fn() for _ in range(calls)], repeat) / calls * 1e6


# --- (c) load -------------------------------------------------------------------------------


def workload(catalog, n: int, rate: float, seed: int) -> list[tuple[float, str, str, int]]:
    """(arrival second, prompt, adapter, answer tokens): Poisson arrivals over the 25 tasks."""
    from lora_land.miniatures import make_split

    rng = random.Random(seed)
    tasks = [t for t in catalog.tasks.values() if t.adapters["demo"].source]
    pool = {t.key: [t.render(e.fields) for e in make_split(t.key, "test", 8, seed=seed)] for t in tasks}
    at, out = 0.0, []
    for _ in range(n):
        at += rng.expovariate(rate)
        task = rng.choice(tasks)
        out.append((at, rng.choice(pool[task.key]), task.key, rng.choice([4, 8, 16, 32, 48, 64])))
    return out


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def summarise(name: str, latencies: list[float], tokens: int, wall: float) -> dict:
    return {"server": name, "requests": len(latencies), "seconds": wall, "tokens_per_second": tokens / wall,
            "requests_per_second": len(latencies) / wall, "p50_latency_s": percentile(latencies, 0.5),
            "p95_latency_s": percentile(latencies, 0.95)}


def load_engine(engine, work) -> dict:
    """Each request submitted at its arrival time; latency = arrival to last token."""
    done: list[float] = [0.0] * len(work)
    start = time.perf_counter()

    def client(i, arrival, prompt, adapter, n):
        handle = engine.submit(prompt, adapter, max_new_tokens=n, ignore_eos=True)
        handle.result()
        done[i] = time.perf_counter() - start - arrival

    threads = []
    for i, (arrival, prompt, adapter, n) in enumerate(work):
        time.sleep(max(0.0, arrival - (time.perf_counter() - start)))
        t = threading.Thread(target=client, args=(i, arrival, prompt, adapter, n))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return summarise("engine (continuous batching)", done, sum(w[3] for w in work), time.perf_counter() - start)


def load_static(engine, work, batch: int) -> dict:
    """Static batching: whatever has arrived (up to `batch`) runs together until all of it is done."""
    done: list[float] = [0.0] * len(work)
    start, i = time.perf_counter(), 0
    while i < len(work):
        now = time.perf_counter() - start
        if work[i][0] > now:
            time.sleep(work[i][0] - now)
            now = work[i][0]
        group = [j for j in range(i, min(len(work), i + batch)) if work[j][0] <= now]
        handles = [engine.submit(work[j][1], work[j][2], max_new_tokens=work[j][3], ignore_eos=True) for j in group]
        for h in handles:
            h.result()
        finished = time.perf_counter() - start
        for j in group:
            done[j] = finished - work[j][0]
        i = group[-1] + 1
    return summarise(f"static batches of up to {batch}", done, sum(w[3] for w in work), time.perf_counter() - start)


def load_one_at_a_time(peft, tokenizer, work) -> dict:
    """One request at a time through PEFT: set_adapter, then generate."""
    done: list[float] = [0.0] * len(work)
    start = time.perf_counter()
    for i, (arrival, prompt, adapter, n) in enumerate(work):
        now = time.perf_counter() - start
        if arrival > now:
            time.sleep(arrival - now)
        peft.set_adapter(adapter)
        hf_generate(peft, tokenizer, [prompt], n)
        done[i] = time.perf_counter() - start - arrival
    return summarise("PEFT one at a time", done, sum(w[3] for w in work), time.perf_counter() - start)


# --- (d) compare -----------------------------------------------------------------------------


def compare_section(engine, prompt: str, adapter: str, repeat: int) -> dict:
    def one():
        engine.submit(prompt, adapter, max_new_tokens=NEW_TOKENS, ignore_eos=True).result()

    def pair():
        a, b = engine.compare(prompt, adapter, max_new_tokens=NEW_TOKENS, ignore_eos=True)
        a.result(), b.result()

    single, both = best_of(one, repeat), best_of(pair, repeat)
    return {"one_request_s": single, "pair_s": both, "pair_over_one": both / single}


# --- (e) memory ----------------------------------------------------------------------------

_PROBE = """
import json, sys
from lora_land import bench
from lora_land.catalog import load_catalog
from lora_land.engine import Engine
from lora_land.miniatures import make_split
config, device, n = sys.argv[1], sys.argv[2] or None, int(sys.argv[3])
catalog = load_catalog(config)
every = [k for k, t in catalog.tasks.items() if t.adapters["demo"].source]
keys = every[:n]
engine = Engine.from_config(config, "demo", device=device, tasks=keys)
prompts = [catalog.task(k).render(make_split(k, "test", 1)[0].fields) for k in every]
# the same batch either way (so the same activations), with every adapter in its device slot or none
engine.generate(prompts, keys + ["base"] * (len(every) - len(keys)), max_new_tokens=2)
print(json.dumps({"rss_MB": bench.rss_bytes() / 2**20, "slots_MB": engine.bank.device_bytes() / 2**20,
                  "host_MB": sum(engine.bank.host[k].nbytes for k in keys) / 2**20}))
engine.close()
"""


def memory_probe(config: str, device: str | None, n_adapters: int) -> dict:
    """Resident memory of a fresh process serving the demo with its first n adapters."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _PROBE, str(config), device or "", str(n_adapters)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- the run -----------------------------------------------------------------------------------


def run(args) -> dict:
    torch.manual_seed(0)
    if args.threads:
        torch.set_num_threads(args.threads)
    catalog = load_catalog(args.config)
    report: dict = {"machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                                "threads": torch.get_num_threads(), "torch": torch.__version__,
                                "device": args.device or catalog.profile("demo").device},
                    "quick": args.quick}
    repeat = args.repeat or (1 if args.quick else 3)
    n_requests = args.requests or (60 if args.quick else 200)

    # the demo model and its 25 trained adapters
    from lora_land.loading import load_base_model, load_tokenizer

    prof = catalog.profile("demo")
    tokenizer = load_tokenizer(prof)
    engine = Engine.from_config(args.config, "demo", device=args.device, limits=Limits(max_rows=ROWS))
    names = engine.adapters()[:N_ADAPTERS]
    from lora_land.miniatures import make_split

    prompts = [catalog.task(k).render(make_split(k, "test", 1)[0].fields) for k in names]
    prompts = [prompts[i % len(prompts)] for i in range(ROWS)]
    engine.generate(prompts[: len(names)], names, max_new_tokens=1)  # every adapter into its slot
    print("(d) compare ...", flush=True)
    report["compare"] = compare_section(engine, prompts[0], names[0], repeat)
    demo_base = load_base_model(prof, device=args.device)
    paths = [catalog.task(k).adapters["demo"].source for k in names]
    demo_peft = peft_model(load_base_model(prof, device=args.device), names, paths)

    print("(a, b) demo model ...", flush=True)
    report["batch"] = [batch_section("demo (2.4M)", engine, demo_base, demo_peft, tokenizer, prompts, names, repeat)]
    print(f"(c) load: {n_requests} requests ...", flush=True)
    work = workload(catalog, n_requests, rate=args.rate, seed=0)
    report["load"] = {"requests": n_requests, "rate_per_second": args.rate, "servers": [
        load_engine(engine, work), load_static(engine, work, ROWS), load_one_at_a_time(demo_peft, tokenizer, work)]}
    engine.close()
    del engine, demo_peft
    gc.collect()

    # (e) memory on the demo, each in a fresh process: the engine without adapters, with all 25
    print("(e) memory ...", flush=True)
    bare, full = (memory_probe(args.config, args.device, n) for n in (0, len(names)))
    report["memory"] = {"rss_engine_no_adapters_MB": bare["rss_MB"], "rss_engine_25_adapters_MB": full["rss_MB"],
                        "rss_added_by_25_adapters_MB": full["rss_MB"] - bare["rss_MB"],
                        "adapter_host_MB": full["host_MB"], "adapter_slots_on_device_MB": full["slots_MB"]}

    print("(f) the batched LoRA op ...", flush=True)
    report["op"] = op_section(repeat)

    if not args.skip_150m:
        for mix in MIXES:
            print(f"(a, b) 150M random model, {mix} adapters ...", flush=True)
            make = lambda: random_model(SHAPES_150M, torch.float32, args.device or "cpu", None)  # noqa: E731
            report["batch"].append(random_section(f"Mistral-shaped 150M, {mix} mix", make, tokenizer, prompts, repeat,
                                                  mix=mix))
    return report


def profile_table(engine, prompts: list[str], adapters: list[str], label: str) -> str:
    """torch.profiler's op table for one batch's forward passes (prefill, then decode), by time on the device.

    The engine's thread is stopped first and its model driven from this thread, which
    is the one the profiler records.
    """
    from torch.profiler import ProfilerActivity, profile

    engine.close()
    model, bank = engine.model, engine.bank
    slots = [bank.acquire(a) for a in adapters]
    ids = [engine.tokenizer(p)["input_ids"] for p in prompts]
    cuda = torch.device(model.device).type == "cuda"
    with profile(activities=[ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])) as prof:
        model.reset()
        tokens = model.prefill(ids, slots).argmax(-1)
        for _ in range(NEW_TOKENS - 1):
            tokens = model.decode(tokens, slots).argmax(-1)
        sync(model.device)
    model.reset()
    key = "self_cuda_time_total" if cuda else "self_cpu_time_total"
    return (f"{label}: the forward passes of one batch, {len(prompts)} rows x {NEW_TOKENS} new tokens\n"
            + prof.key_averages().table(sort_by=key, row_limit=30))


def mistral_run(args) -> dict:
    """(a, b) at Mistral-7B's shapes, random weights, on a GPU: each dtype with each mix and count of adapters."""
    from lora_land.loading import load_tokenizer

    catalog = load_catalog(args.config)
    device = args.device or "cuda"
    name = torch.cuda.get_device_name() if torch.device(device).type == "cuda" else platform.processor()
    report: dict = {"machine": {"platform": platform.platform(), "device": name, "torch": torch.__version__},
                    "batch": []}
    tokenizer = load_tokenizer(catalog.profile("demo"))
    from lora_land.miniatures import make_split

    keys = list(catalog.tasks)[:N_ADAPTERS]
    prompts = [catalog.task(k).render(make_split(k, "test", 1)[0].fields) for k in keys]
    prompts = [prompts[i % len(prompts)] for i in range(ROWS)]
    for dtype_name, quantize in args.mistral_shapes:
        dtype = {"bf16": torch.bfloat16, "fp32": torch.float32}[dtype_name]
        label = f"Mistral-7B shapes, {dtype_name}{' NF4' if quantize else ''}"
        make = lambda: random_model(SHAPES_7B, dtype, device, quantize)  # noqa: E731
        for mix, n in args.mistral_mixes:
            print(f"{label}, {n} adapters, {mix} mix ...", flush=True)
            profile = Path(args.out).with_name(f"profile-{dtype_name}{'-nf4' if quantize else ''}-{mix}-{n}.txt")
            report["batch"].append(random_section(f"{label}, {n} {mix}", make, tokenizer, prompts, args.repeat or 2,
                                                  mix=mix, n_adapters=n, with_peft=n <= N_ADAPTERS and n > 1,
                                                  profile_to=profile if (mix, n) == ("lora-land", N_ADAPTERS) else None))
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps(report, indent=2) + "\n")  # what is done survives a cut-off run
    return report


def random_section(label, make_model, tokenizer, prompts, repeat, mix="varied", n_adapters=N_ADAPTERS, with_peft=True,
                   profile_to: Path | None = None):
    """(a, b) on a random model: `make_model()` builds the same weights (seeded) for the engine, the baseline and PEFT.

    With `profile_to`, one more mixed batch runs under torch.profiler and its op table is written there.
    """
    model = make_model()
    params = sum(p.numel() for p in model.parameters())
    with tempfile.TemporaryDirectory(prefix="lora-land-bench-") as tmp:
        paths = write_random_adapters(model, Path(tmp), n_adapters, base_name="random", mix=mix)
        names = [p.name for p in paths]
        peft = peft_model(make_model(), names, paths) if with_peft else None
        served = make_model()  # the engine wraps its model's layers
        engine = Engine(served, tokenizer, base_name="random", max_adapters=n_adapters, limits=Limits(max_rows=ROWS))
        for name, path in zip(names, paths):
            engine.add_adapter(name, str(path))
        short = [p[-400:] for p in prompts]  # short prompts: the decode steps are what differ
        section = batch_section(label, engine, model, peft, tokenizer, short, names, repeat, with_peft)
        section.update(parameters=params, mix=mix, adapters=n_adapters, slot_bytes=engine.bank.device_bytes())
        if profile_to is not None:
            mixed = [names[i % len(names)] for i in range(len(short))]
            profile_to.write_text(profile_table(engine, short, mixed, label))
        engine.close()
        del engine, served, peft
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    return section


def median_report(reports: list[dict]) -> dict:
    """One report whose (a, b), (c) and (d) figures are the medians of several runs' (their other parts: the first run's)."""
    import statistics

    def med(items: list[dict]) -> dict:
        out = dict(items[0])
        for key, value in items[0].items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[key] = statistics.median(item[key] for item in items)
        return out

    merged = dict(reports[0], runs=len(reports))
    merged["batch"] = [med([b for r in reports for b in r["batch"] if b["model"] == first["model"]])
                       for first in reports[0]["batch"]]
    if "load" in reports[0]:
        merged["load"] = dict(reports[0]["load"], servers=[med([r["load"]["servers"][i] for r in reports])
                                                           for i in range(len(reports[0]["load"]["servers"]))])
    if "compare" in reports[0]:
        merged["compare"] = med([r["compare"] for r in reports])
    return merged


def print_report(report: dict) -> None:
    print("\n(a, b) one batch of %d rows x %d new tokens" % (ROWS, NEW_TOKENS))
    print(f"{'model':<44} {'engine mixed/base':>18} {'PEFT mixed/base':>16} {'engine vs PEFT mixed':>21} {'engine base vs generate':>24}")
    for r in report["batch"]:
        peft = f"{r['peft_mixed_over_base']:.2f}x" if "peft_mixed_over_base" in r else "-"
        speed = f"{r['engine_mixed_speedup_over_peft_mixed']:.2f}x faster" if "peft_mixed_s" in r else "-"
        print(f"{r['model']:<44} {r['engine_mixed_over_base']:>17.2f}x {peft:>16} {speed:>21} {r['engine_base_speed_vs_generate']:>23.2f}x")
    if "load" in report:
        load = report["load"]
        print(f"\n(c) load: {load['requests']} Poisson requests at {load['rate_per_second']}/s over 25 adapters")
        print(f"{'server':<32} {'tokens/s':>9} {'p50 s':>7} {'p95 s':>7}")
        for s in load["servers"]:
            print(f"{s['server']:<32} {s['tokens_per_second']:>9.1f} {s['p50_latency_s']:>7.2f} {s['p95_latency_s']:>7.2f}")
    if "compare" in report:
        c = report["compare"]
        print(f"\n(d) compare: pair {c['pair_s']:.3f}s vs one request {c['one_request_s']:.3f}s = {c['pair_over_one']:.2f}x")
    if "op" in report:
        print("\n(f) the batched LoRA op, microseconds per call (base layer alone beside it)")
        print(f"{'layer':<20} {'phase':<8} {'mix':<22} {'base layer':>10} {'grouped':>8} {'gather':>8} {'per rank':>9}")
        for r in report["op"]:
            print(f"{r['layer']:<20} {r['phase']:<8} {r['mix']:<22} {r['base_layer_us']:>10.0f} {r['grouped_us']:>8.0f} "
                  f"{r['gather_us']:>8.0f} {r['stack_per_rank_us']:>9.0f}")
    if "memory" in report:
        m = report["memory"]
        print(f"\n(e) memory: a process serving the demo without adapters {m['rss_engine_no_adapters_MB']:.0f} MB RSS, "
              f"with 25 {m['rss_engine_25_adapters_MB']:.0f} MB: the adapters add "
              f"{m['rss_added_by_25_adapters_MB']:.1f} MB (host copies {m['adapter_host_MB']:.1f} MB, "
              f"device slots {m['adapter_slots_on_device_MB']:.1f} MB)")


def app_section(url: str, users: int, new_tokens: int = 24) -> dict:
    """(g) The running app: `users` people press Run on the page at once, then one after another.

    Each page run is a compare (the adapter's row and the base's); the page reports the
    largest batch each answer shared. The same for API clients through the openai package.
    """
    import re
    import threading

    import openai
    from gradio_client import Client

    page = Client(url, verbose=False)
    api = openai.OpenAI(base_url=f"{url}/v1", api_key=os.environ.get("LORA_LAND_API_KEY", "-"), max_retries=0)
    adapters = ["glue_sst2", "conllpp", "viggo", "gsm8k", "legal"]  # one-field tasks

    def page_run(i: int) -> int:
        out = page.predict(adapters[i % len(adapters)], f"request {i}: a wonderful film", "", "", new_tokens, 0, 1,
                           api_name="/compare")
        found = re.search(r"batch of (\d+)", out[1] or "")
        return int(found.group(1)) if found else 0

    def api_run(i: int) -> int:
        api.completions.create(model=adapters[i % len(adapters)], prompt=f"request {i}: a wonderful film",
                               max_tokens=new_tokens, extra_body={"ignore_eos": True})
        return 0

    def together(fn) -> tuple[float, list[int]]:
        results: list[int] = [0] * users
        gate = threading.Barrier(users)

        def one(i):
            gate.wait()
            results[i] = fn(i)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(users)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start, results

    def in_turn(fn) -> tuple[float, list[int]]:
        start = time.perf_counter()
        results = [fn(i) for i in range(users)]
        return time.perf_counter() - start, results

    page_run(0), api_run(0)  # warm: adapters into slots, the page's first event
    out = {"url": url, "users": users, "new_tokens": new_tokens}
    for name, fn in (("page", page_run), ("api", api_run)):
        wall_in_turn, seq_batches = in_turn(fn)
        wall_together, batches = together(fn)
        out[name] = {"one_after_another_s": wall_in_turn, "all_at_once_s": wall_together,
                     "speedup": wall_in_turn / wall_together}
        if name == "page":
            out[name].update({"batch_one_after_another_max": max(seq_batches), "batch_all_at_once_max": max(batches),
                              "batch_all_at_once_mean": sum(batches) / len(batches)})
    return out


def print_app(report: dict) -> None:
    print(f"\n(g) the app at {report['url']}: {report['users']} users, {report['new_tokens']} new tokens each")
    for name in ("page", "api"):
        r = report[name]
        extra = ""
        if name == "page":
            extra = (f"; batch (rows) in turn max {r['batch_one_after_another_max']}, at once max "
                     f"{r['batch_all_at_once_max']} mean {r['batch_all_at_once_mean']:.1f}")
        print(f"{name:<5} one after another {r['one_after_another_s']:.2f}s, all at once {r['all_at_once_s']:.2f}s "
              f"= {r['speedup']:.2f}x{extra}")


# --- (h) side by side with vLLM ------------------------------------------------------------------


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
    report: dict = {"machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                                "threads": torch.get_num_threads(), "torch": torch.__version__},
                    "quick": args.quick, "rows": ROWS, "new_tokens": NEW_TOKENS, "requests": n_requests,
                    "rate_per_second": args.rate, "servers": []}

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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lora_land.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="adapters.yaml")
    parser.add_argument("--device", default=None, help="defaults to the demo profile's device")
    parser.add_argument("--out", default="docs/bench/demo-cpu.json", help="where the JSON goes")
    parser.add_argument("--quick", action="store_true", help="one repetition and 60 requests: a smoke run")
    parser.add_argument("--requests", type=int, default=None, help="(c) how many requests (default 200)")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="(c) arrivals per second (default: more than any of the servers keeps up with)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--skip-150m", action="store_true")
    parser.add_argument("--mistral-shapes", nargs="*", default=[], type=lambda s: tuple(s.split(":")) if ":" in s else (s, None),
                        help="(a, b) only, on a GPU: e.g. bf16 bf16:nf4 (random weights at Mistral-7B's shapes)")
    parser.add_argument("--mistral-mixes", nargs="*", default=[("lora-land", 1), ("lora-land", 25), ("varied", 25),
                                                               ("lora-land", 100)],
                        type=lambda s: (s.split(":")[0], int(s.split(":")[1])),
                        help="MIX:N adapters per model, MIX one of %s" % ", ".join(MIXES))
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per figure (best of)")
    parser.add_argument("--app", metavar="URL", help="(g) only: load a running `python app.py` with --users people")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--vllm", action="store_true",
                        help="(h) only: our engine and a vLLM server side by side (needs scripts/vllm-venv)")
    parser.add_argument("--vllm-url", help="(h) use this running vLLM server (started with vllm-serve) instead")
    parser.add_argument("--median", nargs="+", metavar="JSON",
                        help="only: print and write the medians of these runs' reports (ratios taken per run)")
    args = parser.parse_args(argv)
    if args.median:
        report = median_report([json.loads(Path(f).read_text()) for f in args.median])
        print_report(report)
    elif args.vllm:
        report = vllm_run(args)
        print_vllm(report)
        if args.out == parser.get_default("out"):
            args.out = "docs/bench/vllm-cpu.json"
    elif args.app:
        report = app_section(args.app.rstrip("/"), args.users)
        print_app(report)
        if args.out == parser.get_default("out"):
            args.out = "docs/bench/app-cpu.json"
    elif args.mistral_shapes:
        if args.out == parser.get_default("out"):
            args.out = "docs/bench/mistral-7b-gpu.json"
        report = mistral_run(args)
        print_report(report)
    else:
        report = run(args)
        print_report(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
