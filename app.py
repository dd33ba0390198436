"""LoRA Land in the terminal: a task's fine-tuned answer beside the base model's.

    python app.py                          # the first example of every task
    python app.py --task glue_sst2         # every example of one task
    python app.py --task glue_sst2 --field sentence="what a wonderful film"

Runs on the engine (`lora_land.engine`): each fine-tuned row and its base row are
admitted together and share every batch. Profile default: the built-in demo, on the CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=os.environ.get("LORA_LAND_CONFIG", "adapters.yaml"))
    parser.add_argument("--profile", default=os.environ.get("LORA_LAND_PROFILE", "demo"))
    parser.add_argument("--task", help="task key (default: every task, first example)")
    parser.add_argument("--field", action="append", default=[], metavar="NAME=VALUE", help="a template field")
    args = parser.parse_args(argv)

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
        parser.error("--field needs --task")
    malformed = [f for f in args.field if "=" not in f]
    if malformed:
        parser.error(f"--field takes NAME=VALUE, got {malformed}")
    fields = dict(f.split("=", 1) for f in args.field)

    work = []
    for task in tasks:
        if fields:
            try:
                work.append((task, [task.render(fields)]))
            except ValueError as exc:
                parser.error(str(exc))
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


if __name__ == "__main__":
    sys.exit(main())
