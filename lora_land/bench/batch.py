"""Parts (a), (b) and (f): one batch, and the batched LoRA op alone.

(a) a 32-row batch over 25 adapters against the same batch on the base alone, for our
engine and for PEFT's `adapter_names=` mixed batch; (b) the engine's base-only batch
against transformers' `generate`; on the demo model, a ~150M-parameter random model and,
on a GPU, random weights at Mistral-7B's shapes (`--mistral-shapes`). (f) the op on one
layer: grouped by adapter versus gathered per row, one stack versus a stack per rank.
Not the load, the app or vLLM (`load.py`, `app.py`, `vllm.py`).
"""

from __future__ import annotations

import gc
import json
import platform
import random
import tempfile
import time
from pathlib import Path

from lora_land.bench.measure import per_call_us
from lora_land.bench.models import (N_ADAPTERS, NEW_TOKENS, ROWS, SHAPES_7B, engine_generate, hf_generate,
                                    peft_model, random_model, sync, torch, write_random_adapters)
from lora_land.catalog import load_catalog
from lora_land.engine import Engine, Limits


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

