"""The `python -m lora_land` command line: compare, train, eval, build-demo, build-rehearsal, plan."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from pathlib import Path


def _compare(args: argparse.Namespace) -> int:
    """A task's fine-tuned answer beside the base model's, in the terminal; both rows share every batch."""
    from lora_land.catalog import CatalogError, load_catalog
    from lora_land.engine import Engine

    try:
        catalog = load_catalog(args.config)
        tasks = [catalog.task(args.task)] if args.task else list(catalog.tasks.values())
        catalog.profile(args.profile)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.field and not args.task:
        args.parser.error("--field needs --task")
    malformed = [f for f in args.field if "=" not in f]
    if malformed:
        args.parser.error(f"--field takes NAME=VALUE, got {malformed}")
    fields = dict(f.split("=", 1) for f in args.field)
    work = []
    for task in tasks:
        if fields:
            try:
                work.append((task, [task.render(fields)]))
            except ValueError as exc:
                args.parser.error(str(exc))
        else:
            work.append((task, [task.render(e) for e in (task.examples if args.task else task.examples[:1])]))

    with Engine.from_config(args.config, args.profile, tasks=[t.key for t in tasks]) as engine:
        for task, prompts in work:
            print(f"\n== {task.name} [{task.key}] ==")
            for prompt in prompts:
                if task.key in engine.adapters():
                    tuned_h, base_h = engine.compare(prompt, task.key, max_new_tokens=task.max_new_tokens)
                    tuned = tuned_h.result().text
                else:
                    base_h = engine.submit(prompt, "base", max_new_tokens=task.max_new_tokens)
                    tuned = f"(no adapter: {engine.refused.get(task.key, 'not loaded')})"
                tail = prompt.strip().splitlines()[-3:]
                print(textwrap.indent("\n".join(tail), "  > "))
                print(f"  fine-tuned: {tuned.strip()!r}")
                print(f"  base:       {base_h.result().text.strip()!r}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from lora_land.catalog import TARGET_PRESETS, load_catalog
    from lora_land.train import miniature_examples, read_examples_file, train_adapter

    catalog = load_catalog(args.config)
    task = catalog.task(args.task)
    profile = catalog.profile(args.profile)
    recipe = task.adapters[profile.name].train
    overrides = {k: getattr(args, k) for k in ("rank", "alpha", "steps", "batch_size", "learning_rate") if getattr(args, k)}
    if args.targets:
        modules = TARGET_PRESETS["all-linear"]
        targets = TARGET_PRESETS.get(args.targets) or [m.strip() for m in args.targets.split(",") if m.strip()]
        unknown = [m for m in targets if m not in modules]
        if unknown or not targets:
            print(f"error: --targets {args.targets!r}: not a preset ({', '.join(TARGET_PRESETS)}) nor modules of "
                  f"the model ({', '.join(modules)})", file=sys.stderr)
            return 2
        overrides["targets"] = tuple(targets)
    recipe = replace(recipe, **overrides)
    if args.data:
        examples = read_examples_file(args.data, task, target=args.target_column)
    else:
        examples = miniature_examples(task, n=args.examples, seed=args.seed)
    source = task.adapters[profile.name].source
    local = source is not None and Path(source).is_absolute()
    if args.out:
        out = Path(args.out)
    elif args.overwrite and local:
        out = Path(source)
    else:
        out = Path("adapters") / f"{task.key}-{time.strftime('%Y%m%d-%H%M%S')}"
    served = {Path(a.source).resolve(): f"{t.key} ({p})" for t in catalog.tasks.values()
              for p, a in t.adapters.items() if a.source and Path(a.source).is_absolute()}
    if out.resolve() in served and not args.overwrite:
        print(f"error: {out} holds the catalog's {served[out.resolve()]} adapter; train into another --out, "
              "or pass --overwrite to replace it", file=sys.stderr)
        return 2
    summary = train_adapter(
        task, profile, out, examples=examples, recipe=recipe, quantize=args.quantize, seed=args.seed,
        catalog_root=catalog.path.parent,
    )
    print(json.dumps(summary, indent=2, default=str))
    print(f"wrote the adapter to {out}; serve it with engine.add_adapter(name, {str(out)!r})", file=sys.stderr)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from lora_land.catalog import load_catalog
    from lora_land.evaluate import evaluate, table, write_reports

    catalog = load_catalog(args.config)
    tasks = args.tasks.split(",") if args.tasks else None
    results = evaluate(catalog, args.profile, tasks=tasks, n=args.examples)
    print(table(results))
    out_dir = Path(args.out) if args.out else catalog.path.parent / "docs" / "eval"
    written = write_reports(results, out_dir, args.profile)
    print(
        f"\n{written['adapters_ahead']}/{written['adapters_scored']} adapters ahead of the base; "
        f"mean {written['mean_base']:.3f} -> {written['mean_finetuned']:.3f}; on the probe sets "
        f"{written['probe_mean_base']:.3f} -> {written['probe_mean_finetuned']:.3f}, "
        f"{written['probe_adapters_ahead']} adapters ahead. "
        f"Wrote {written['csv']}, {written['markdown']}, {written['chart']}, {written['probe_answers']}"
    )
    return 0


def _shape(text: str) -> dict[str, int]:
    """`hidden_size=256,num_hidden_layers=6` -> a dict of MistralConfig sizes."""
    from lora_land.demo import MODEL_SHAPE

    shape = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        if key.strip() not in MODEL_SHAPE or not value.strip().isdigit():
            raise argparse.ArgumentTypeError(f"{part!r}: expected KEY=N with KEY one of {', '.join(MODEL_SHAPE)}")
        shape[key.strip()] = int(value)
    return shape


def _check_base(args: argparse.Namespace) -> int:
    from lora_land.basecheck import check_base
    from lora_land.catalog import load_catalog

    catalog = load_catalog(args.config)
    base = args.base or catalog.profile(args.profile).base
    if not Path(base, "config.json").is_file():
        print(f"error: --base {base}: no saved model there (config.json missing)", file=sys.stderr)
        return 2
    if args.task and args.task not in catalog.tasks:
        print(f"error: --task {args.task!r}: not a task of the catalog", file=sys.stderr)
        return 2
    report = check_base(catalog, base, profile=args.profile, task=args.task or None, lookup_steps=args.lookup_steps,
                        task_steps=args.task_steps, examples=args.examples, device=args.device)
    print(json.dumps(report, indent=2))
    return 0


def _build_demo(args: argparse.Namespace) -> int:
    from lora_land.demo import build_demo

    tasks = args.tasks.split(",") if args.tasks else None
    base_only = [flag for flag, given in (("--reading", args.reading), ("--bf16", args.bf16), ("--shape", args.shape),
                                          ("--continue-base", args.continue_base)) if given]
    if args.skip_base and base_only:
        print(f"error: {', '.join(base_only)} only shape{'s' if len(base_only) == 1 else ''} the base, "
              "which --skip-base keeps as it is; drop one or the other", file=sys.stderr)
        return 2
    if args.continue_base and args.shape:
        print("error: --continue-base keeps the base's shape; --shape is for a fresh base", file=sys.stderr)
        return 2
    try:  # a missing dictionary or base is found before any work
        report = build_demo(
            args.config,
            pretrain_steps=args.pretrain_steps,
            step_scale=args.step_scale,
            tasks=tasks,
            skip_base=args.skip_base,
            shape=args.shape,
            device=args.device,
            pretrain_batch=args.pretrain_batch,
            documents_per_task=args.documents_per_task,
            eval_examples=args.eval_examples,
            reading=args.reading,
            bf16=args.bf16,
            **({"copy_share": args.copy_share} if args.copy_share is not None else {}),
            continue_base=args.continue_base,
            pretrain_lr=args.pretrain_lr,
        )
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report["eval"], indent=2))
    print(f"built in {report['elapsed'] / 60:.1f} min")
    return 0


def _build_rehearsal(args: argparse.Namespace) -> int:
    import time

    from lora_land.rehearsal import build

    started = time.perf_counter()
    out = build(args.out, layers=args.layers, seed=args.seed, catalog=args.config).resolve()
    print(f"built the Mistral-7B rehearsal in {out} ({time.perf_counter() - started:.0f} s); serve it with\n"
          f"  HF_HUB_CACHE={out / 'hub'} HF_HUB_OFFLINE=1 python app.py --profile mistral-7b --device cpu\n"
          f"or load {out / 'adapters.yaml'} with --profile rehearsal (NF4) or rehearsal-bf16")
    return 0


def _vllm_serve(args: argparse.Namespace) -> int:
    """Serve a remote profile's base and adapters with vLLM (from its own environment)."""
    from lora_land.vllm_server import main as serve

    return serve(args.config, args.profile, print_only=args.print, dtype=args.dtype, max_model_len=args.max_model_len)


def _plan(args: argparse.Namespace) -> int:
    """The memory plan Mistral-7B gets on GPUs of these sizes, with the 24 published adapters (no GPU needed)."""
    import torch
    from transformers import MistralConfig

    from lora_land.memory import GiB, MemoryPlanError, plan_memory, slot_bytes, weight_bytes
    from lora_land.rehearsal import LORA_LAND_SHAPE, MISTRAL_7B, linear_shapes

    config = MistralConfig(**MISTRAL_7B)
    shapes = {m: s for m, s in linear_shapes(MISTRAL_7B, config.num_hidden_layers).items()
              if m.rsplit(".", 1)[-1] in LORA_LAND_SHAPE["targets"]}
    slots = slot_bytes(shapes, args.adapters, LORA_LAND_SHAPE["rank"], torch.bfloat16)
    print(f"Mistral-7B-v0.1, {args.adapters} adapters of rank {LORA_LAND_SHAPE['rank']} on q_proj and v_proj, "
          f"wanting {args.rows} rows x {config.sliding_window} positions; {args.runtime_gib} GiB kept for the "
          f"CUDA runtime")
    for gib in args.gpu_gib:
        for quantize in (None, "nf4"):
            weights = weight_bytes(config, quantize, torch.bfloat16)
            free = int((gib - args.runtime_gib) * GiB) - weights
            label = f"{gib:g} GB GPU, {'NF4' if quantize else 'bf16'} weights {weights / GiB:.1f} GiB"
            try:
                plan = plan_memory(config, free=free, dtype=torch.bfloat16, rows=args.rows,
                                   context=config.sliding_window, slot_bytes=slots, device=f"a {gib:g} GB GPU")
                print(f"{label}: {plan.describe()}")
            except MemoryPlanError as exc:
                print(f"{label}: refused: {exc}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lora_land", description=__doc__)
    parser.add_argument("--config", default="adapters.yaml", help="catalog file (default: adapters.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)

    compare = sub.add_parser("compare", help="a task's fine-tuned answer beside the base model's, in the terminal")
    compare.add_argument("--profile", default="demo")
    compare.add_argument("--task", help="task key (default: every task, first example)")
    compare.add_argument("--field", action="append", default=[], metavar="NAME=VALUE", help="a template field")
    compare.set_defaults(func=_compare, parser=compare)

    train = sub.add_parser("train", help="fine-tune one task's LoRA adapter with PEFT")
    train.add_argument("--task", required=True)
    train.add_argument("--profile", default="demo")
    train.add_argument("--quantize", choices=["nf4"], help="train on a 4-bit NF4 base (QLoRA)")
    train.add_argument("--data", help="JSONL or CSV with the template's fields and a target column")
    train.add_argument("--target-column", default="target")
    train.add_argument("--examples", type=int, default=4000, help="miniature examples when no --data")
    train.add_argument("--out", help="output directory (default: adapters/<task>-<time>)")
    train.add_argument("--overwrite", action="store_true",
                       help="replace the catalog's own adapter for the task (the default never does)")
    train.add_argument("--rank", type=int)
    train.add_argument("--alpha", type=int)
    train.add_argument("--targets", help="attention, all-linear, or comma-separated module names, e.g. q_proj,v_proj")
    train.add_argument("--steps", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--seed", type=int, default=0)
    train.set_defaults(func=_train)

    ev = sub.add_parser("eval", help="score base and adapters on each task's test split")
    ev.add_argument("--profile", default="demo")
    ev.add_argument("--tasks", help="comma-separated task keys (default: all)")
    ev.add_argument("--examples", type=int, default=100, help="test examples per task")
    ev.add_argument("--out", help="folder for <profile>.csv/.md/.png (default: docs/eval)")
    ev.set_defaults(func=_eval)

    build = sub.add_parser("build-demo", help="rebuild the demo tokenizer, base, 25 adapters and evaluation")
    build.add_argument("--pretrain-steps", type=int, default=1200)
    build.add_argument("--step-scale", type=float, default=1.0, help="scale every adapter's training steps")
    build.add_argument("--tasks", help="only these adapters (comma-separated)")
    build.add_argument("--skip-base", action="store_true", help="keep the existing tokenizer and base")
    build.add_argument("--device", default="cpu", help="where to train and evaluate (cpu, cuda)")
    build.add_argument("--shape", type=_shape, default=None, metavar="KEY=N,...",
                       help="the base's shape over the demo's own, e.g. hidden_size=256,num_hidden_layers=6")
    build.add_argument("--pretrain-batch", type=int, default=8, help="rows of 512 tokens per pretraining step")
    build.add_argument("--documents-per-task", type=int, default=2000,
                       help="miniature examples per task whose unlabelled text the base reads")
    build.add_argument("--eval-examples", type=int, default=None, help="test examples per task in the evaluation")
    build.add_argument("--reading", metavar="WORDNET_DIR",
                       help="also pretrain the base on an English dictionary: a WordNet database folder "
                            "(Debian's wordnet-base installs one in /usr/share/wordnet)")
    build.add_argument("--bf16", action="store_true", help="pretrain the base under bfloat16 autocast (faster)")
    build.add_argument("--copy-share", type=float, default=None,
                       help="share of each pretraining batch that is copy drills, random spans written twice "
                            "(default: lora_land.demo.COPY_SHARE, one row in eight)")
    build.add_argument("--continue-base", action="store_true",
                       help="go on pretraining the existing base (its tokenizer and shape) instead of a fresh one")
    build.add_argument("--pretrain-lr", type=float, default=3e-3, help="the base's peak learning rate")
    build.set_defaults(func=_build_demo)

    check = sub.add_parser("check-base", help="can an adapter on this base copy, look a word up and learn a pair "
                                              "task? (before training 25 adapters on it)")
    check.add_argument("--base", help="a saved base model folder (default: the profile's base)")
    check.add_argument("--profile", default="demo", help="whose dtype and training recipes to use")
    check.add_argument("--task", default="glue_mrpc", help="the task to train one adapter for ('' for none)")
    check.add_argument("--lookup-steps", type=int, default=600, help="training steps of the lookup adapter (0: skip)")
    check.add_argument("--task-steps", type=int, help="the task adapter's steps (default: the catalog's recipe)")
    check.add_argument("--examples", type=int, default=200, help="test questions for each score")
    check.add_argument("--device", help="where to train (default: the profile's device)")
    check.set_defaults(func=_check_base)

    rehearse = sub.add_parser("build-rehearsal", help="Mistral-7B's shapes, tokenizer and adapter files, offline")
    rehearse.add_argument("--out", required=True, help="folder to write (emptied first)")
    rehearse.add_argument("--layers", type=int, default=2, help="decoder layers (Mistral-7B has 32)")
    rehearse.add_argument("--seed", type=int, default=0)
    rehearse.set_defaults(func=_build_rehearsal)

    vllm = sub.add_parser("vllm-serve", help="serve a remote profile's model and adapters with vLLM")
    vllm.add_argument("--profile", default="vllm-demo")
    vllm.add_argument("--dtype", default="float32", help="vLLM's --dtype (float32 matches the demo's engine)")
    vllm.add_argument("--max-model-len", type=int, help="vLLM's --max-model-len (default: the model's)")
    vllm.add_argument("--print", action="store_true", help="print the command and its environment, do not run it")
    vllm.set_defaults(func=_vllm_serve)

    plan = sub.add_parser("plan", help="the key/value cache Mistral-7B gets on GPUs of given sizes")
    plan.add_argument("--gpu-gib", type=float, nargs="+", default=[24, 40, 80], help="GPU memory sizes, in GB")
    plan.add_argument("--rows", type=int, default=32)
    plan.add_argument("--adapters", type=int, default=24)
    plan.add_argument("--runtime-gib", type=float, default=1.0, help="memory the CUDA context and kernels take")
    plan.set_defaults(func=_plan)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
