"""Parts (c), (d) and (e) on the demo, and the whole default run (`python -m lora_land.bench`).

(c) load: Poisson arrivals over the 25 adapters served by the engine, by static batches
and by one-at-a-time PEFT; (d) an adapter+base pair against one request; (e) resident
memory of a fresh process with and without the adapters. `run` strings the parts
together, `median_report` takes several runs' medians, `print_report` prints the table.
"""

from __future__ import annotations

import gc
import json
import random
import threading
import time

from lora_land.bench.batch import batch_section, op_section, random_section
from lora_land.bench.measure import best_of, summarise
from lora_land.bench.models import (MIXES, N_ADAPTERS, NEW_TOKENS, ROWS, SHAPES_150M, hf_generate, machine,
                                    peft_model, random_model, torch)
from lora_land.catalog import load_catalog
from lora_land.engine import Engine, Limits


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


def compare_section(engine, prompt: str, adapter: str, repeat: int) -> dict:
    def one():
        engine.submit(prompt, adapter, max_new_tokens=NEW_TOKENS, ignore_eos=True).result()

    def pair():
        a, b = engine.compare(prompt, adapter, max_new_tokens=NEW_TOKENS, ignore_eos=True)
        a.result(), b.result()

    single, both = best_of(one, repeat), best_of(pair, repeat)
    return {"one_request_s": single, "pair_s": both, "pair_over_one": both / single}


_PROBE = """
import json, sys
from lora_land.bench.measure import rss_bytes
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
print(json.dumps({"rss_MB": rss_bytes() / 2**20, "slots_MB": engine.bank.device_bytes() / 2**20,
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


def run(args) -> dict:
    torch.manual_seed(0)
    if args.threads:
        torch.set_num_threads(args.threads)
    catalog = load_catalog(args.config)
    report: dict = {"machine": machine(device=args.device or catalog.profile("demo").device), "quick": args.quick}
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

