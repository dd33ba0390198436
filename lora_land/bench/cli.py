"""`python -m lora_land.bench`'s command line: which part runs, with what, and where its JSON goes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lora_land import bench


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lora_land.bench", description=bench.__doc__.split("\n\n")[0])
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
                        help="MIX:N adapters per model, MIX one of models.MIXES: varied, lora-land")
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per figure (best of)")
    parser.add_argument("--app", metavar="URL", help="(g) only: load a running `python app.py` with --users people")
    parser.add_argument("--users", type=int, default=None, help="(g) people at once (default 16); soak clients (8)")
    parser.add_argument("--soak", nargs="?", type=float, const=300.0, metavar="SECONDS",
                        help="only: mixed page and API traffic for SECONDS (default 300) against a `python app.py` "
                             "it starts, or the --app URL, then check the log")
    parser.add_argument("--db", help="(soak with --app) that app's log file, to check that no row was lost")
    parser.add_argument("--pid", type=int, help="(soak with --app) that app's process id, for its resident memory")
    parser.add_argument("--vllm", action="store_true",
                        help="(h) only: our engine and a vLLM server side by side (needs scripts/vllm-venv)")
    parser.add_argument("--vllm-url", help="(h) use this running vLLM server (started with vllm-serve) instead")
    parser.add_argument("--median", nargs="+", metavar="JSON",
                        help="only: print and write the medians of these runs' reports (ratios taken per run)")
    args = parser.parse_args(argv)

    def out_default(path: str) -> None:
        if args.out == parser.get_default("out"):
            args.out = path

    # Each part is imported when it runs: the soak and (g) drive an app over HTTP and load no torch.
    if args.median:
        from lora_land.bench.load import median_report, print_report

        report = median_report([json.loads(Path(f).read_text()) for f in args.median])
        print_report(report)
    elif args.soak is not None:
        from lora_land.bench.soak import print_soak, soak

        url = args.app.rstrip("/") if args.app else None
        report = soak(args.soak, users=args.users or 8, url=url, db=args.db, pid=args.pid)
        print_soak(report)
        out_default("docs/bench/soak-cpu.json")
    elif args.vllm:
        from lora_land.bench.vllm import print_vllm, vllm_run

        report = vllm_run(args)
        print_vllm(report)
        out_default("docs/bench/vllm-cpu.json")
    elif args.app:
        from lora_land.bench.app import app_section, print_app

        report = app_section(args.app.rstrip("/"), args.users or 16)
        print_app(report)
        out_default("docs/bench/app-cpu.json")
    elif args.mistral_shapes:
        from lora_land.bench.batch import mistral_run
        from lora_land.bench.load import print_report

        out_default("docs/bench/mistral-7b-gpu.json")
        report = mistral_run(args)
        print_report(report)
    else:
        from lora_land.bench.load import print_report, run

        report = run(args)
        print_report(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {out}")

