"""The compiled decode step against the eager one, on the demo: step time, tokens/s, compile time.

    .venv/bin/python scripts/compile_bench.py [--rounds 5] [--out docs/bench/compile-demo-cpu.json]

32 rows over the demo's 25 adapters (7 of them twice), 64 new tokens each. Two measures,
each with the two ways in turn, round after round, so that a busy spell on a shared
machine falls on both; each time is the median of its rounds, each ratio the median of
the rounds' ratios:

- the decode step alone: a `BatchedModel` with its own slot bank prefills the 32 rows,
  then runs 64 decode steps feeding each row its greedy token (median step per round);
- the engine: `Engine.generate` of the same 32 prompts, 64 tokens each (`ignore_eos`),
  prefill, sampling and detokenizing included.

The compile time is that of the first compiled step, in a fresh inductor cache (a warm
cache on disk makes later starts faster). The tokens of both ways are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="lora-land-inductor-"))

import torch  # noqa: E402

from lora_land.catalog import load_catalog  # noqa: E402
from lora_land.engine import Engine  # noqa: E402
from lora_land.loading import load_base_model, load_tokenizer  # noqa: E402
from lora_land.lora import read_adapter  # noqa: E402
from lora_land.miniatures import make_split  # noqa: E402
from lora_land.model import BatchedModel  # noqa: E402
from lora_land.slots import SlotBank  # noqa: E402

ROWS, NEW = 32, 64


def workload(catalog):
    tasks = sorted(catalog.tasks)
    adapters = [tasks[i % len(tasks)] for i in range(ROWS)]
    prompts = [catalog.task(k).render(make_split(k, "test", 1 + i // len(tasks))[i // len(tasks)].fields)
               for i, k in enumerate(adapters)]
    return prompts, adapters


def ratio(a: list[float], b: list[float]) -> float:
    """The median over rounds of a / b: each round's two ways ran side by side, on the same busy spell."""
    return statistics.median(x / y for x, y in zip(a, b))


def step_model(catalog, compiled: bool):
    """A BatchedModel over its own copy of the demo, with all 25 adapters resident."""
    prof = catalog.profile("demo")
    model = load_base_model(prof)
    bank = SlotBank(model, len(catalog.tasks), torch.device("cpu"), torch.float32, fixed=compiled)
    for key in catalog.tasks:
        source = catalog.task(key).adapters["demo"].source
        bank.register(read_adapter(key, source, model, prof.base, catalog.path.parent))
    return BatchedModel(model, ROWS, bank.batch, compile=compiled), bank


@torch.inference_mode()
def decode_round(model: BatchedModel, bank: SlotBank, ids: list[list[int]], adapters: list[str]):
    """Prefill the rows, then NEW decode steps; each step's seconds and the tokens."""
    model.reset()
    slots = [bank.acquire(a) for a in adapters]
    tokens = model.prefill(ids, slots).argmax(-1)
    out, seconds = [tokens], []
    for _ in range(NEW - 1):
        started = time.perf_counter()
        tokens = model.decode(tokens, slots).argmax(-1)
        seconds.append(time.perf_counter() - started)
        out.append(tokens)
    for s in slots:
        bank.release(s)
    return seconds, torch.stack(out, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "docs/bench/compile-demo-cpu.json"))
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "adapters.yaml")
    prompts, adapters = workload(catalog)
    tokenizer = load_tokenizer(catalog.profile("demo"))
    ids = [tokenizer(p)["input_ids"] for p in prompts]

    ways = {"eager": step_model(catalog, False), "compiled": step_model(catalog, True)}
    started = time.perf_counter()
    first, tokens = decode_round(*ways["compiled"], ids, adapters)
    compile_s = first[0]
    print(f"first compiled round: {time.perf_counter() - started:.1f} s, its first step {compile_s:.1f} s", flush=True)
    same_tokens = torch.equal(tokens, decode_round(*ways["eager"], ids, adapters)[1])
    steps: dict[str, list[float]] = {w: [] for w in ways}
    for r in range(args.rounds):
        for way, (model, bank) in ways.items():
            seconds, _ = decode_round(model, bank, ids, adapters)
            steps[way].append(statistics.median(seconds))
        print(f"round {r + 1}: step " + ", ".join(f"{w} {steps[w][-1] * 1e3:.2f} ms" for w in ways), flush=True)

    engines = {w: Engine.from_config(ROOT / "adapters.yaml", "demo", compile=(w == "compiled")) for w in ways}
    try:
        texts = {w: e.generate(prompts, adapters, max_new_tokens=NEW, ignore_eos=True) for w, e in engines.items()}
        rates: dict[str, list[float]] = {w: [] for w in ways}
        for r in range(args.rounds):
            for way, engine in engines.items():
                started = time.perf_counter()
                engine.generate(prompts, adapters, max_new_tokens=NEW, ignore_eos=True)
                rates[way].append(ROWS * NEW / (time.perf_counter() - started))
            print(f"round {r + 1}: engine " + ", ".join(f"{w} {rates[w][-1]:.0f} tokens/s" for w in ways), flush=True)
    finally:
        for e in engines.values():
            e.close()

    step = {w: statistics.median(v) for w, v in steps.items()}
    rate = {w: statistics.median(v) for w, v in rates.items()}
    result = {
        "rows": ROWS, "adapters": len(catalog.tasks), "new_tokens": NEW, "rounds": args.rounds,
        "torch": torch.__version__, "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
        "load_average_after": os.getloadavg()[0],
        "decode_step_ms": {w: v * 1e3 for w, v in step.items()},
        "decode_step_rounds_ms": {w: [s * 1e3 for s in v] for w, v in steps.items()},
        "decode_step_eager_over_compiled": ratio(steps["eager"], steps["compiled"]),
        "engine_tokens_per_s": rate, "engine_rounds_tokens_per_s": rates,
        "engine_compiled_over_eager": ratio(rates["compiled"], rates["eager"]),
        "first_compiled_step_s": compile_s,
        "same_tokens_steps": same_tokens, "same_text_engine": texts["eager"] == texts["compiled"],
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if "rounds" not in k}, indent=2))


if __name__ == "__main__":
    main()
