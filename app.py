"""LoRA Land: the web page at / and the OpenAI-compatible API at /v1, on one server.

    python app.py                                  # demo profile, http://127.0.0.1:7860
    python app.py --profile mistral-7b --host 0.0.0.0 --api-key "$KEY"

The server answers at once; the engine loads in the background (a few seconds for the
demo, minutes for Mistral-7B) while /health says "loading" and the API answers 503.
Every generation is logged in the SQLite file given by --db.

Environment (for hosted Spaces and containers): LORA_LAND_CONFIG, LORA_LAND_PROFILE,
LORA_LAND_DB, LORA_LAND_API_KEY, LORA_LAND_API_BASE_TWIN and LORA_LAND_COMPILE (1 or 0), and the host and port
from LORA_LAND_HOST / LORA_LAND_PORT, or the GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (or
PORT) a hosting platform sets.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import threading
import time

log = logging.getLogger("lora_land.app")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=env("LORA_LAND_HOST") or env("GRADIO_SERVER_NAME") or "127.0.0.1")
    parser.add_argument("--port", type=int,
                        default=int(env("LORA_LAND_PORT") or env("GRADIO_SERVER_PORT") or env("PORT") or 7860))
    parser.add_argument("--config", default=env("LORA_LAND_CONFIG", "adapters.yaml"), help="the adapter catalog")
    parser.add_argument("--profile", default=env("LORA_LAND_PROFILE", "demo"), help="base profile (demo, mistral-7b)")
    parser.add_argument("--db", default=env("LORA_LAND_DB", "lora_land.db"), help="the SQLite log")
    parser.add_argument("--api-key", default=env("LORA_LAND_API_KEY") or None,
                        help="require `Authorization: Bearer KEY` on /v1 (the page stays open)")
    parser.add_argument("--api-base-twin", action=argparse.BooleanOptionalAction,
                        default=flag(env("LORA_LAND_API_BASE_TWIN"), True),
                        help="run the base model beside each API request, for the log (the page always does); "
                             "off: API rows have no base answer and cost one row, not two")
    parser.add_argument("--device", default=None, help="override the profile's device (cpu, cuda)")
    parser.add_argument("--max-rows", type=int, default=int(env("LORA_LAND_MAX_ROWS") or 32),
                        help="rows in one batch; the memory plan may lower it to fit")
    parser.add_argument("--max-context", type=int, default=int(env("LORA_LAND_MAX_CONTEXT") or 0) or None,
                        help="positions per row (default: the model's); the memory plan may lower it to fit")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction,
                        default=flag(env("LORA_LAND_COMPILE"), False),
                        help="run decode steps compiled by torch.compile (each new batch size compiles on first use; "
                             "see the README's How fast)")
    parser.add_argument("--log-level", default=env("LORA_LAND_LOG_LEVEL", "info"))
    return parser.parse_args(argv)


def flag(value: str | None, default: bool) -> bool:
    """An on/off environment variable: 1/true/yes/on or 0/false/no/off; unset or empty is the default."""
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"error: {value!r} is not on or off (use 1/0, true/false, yes/no, on/off)")


def build_app(service, *, api_key: str | None = None):
    """The FastAPI app: the API routes first, then the Gradio page mounted at /."""
    from fastapi import FastAPI

    from lora_land import api
    from lora_land.ui import CSS, THEME, Page, gr

    app = FastAPI(title="LoRA Land", docs_url=None, openapi_url=None, redoc_url=None)  # the API's docs: /v1/docs
    api.install(app, service, api_key=api_key)
    page = Page(service)
    # No default concurrency limit: every user's run reaches the engine at once, and the
    # engine batches them (a limit of 1, Gradio's default, would serve people one by one).
    # Each streaming run holds a worker thread while it waits on the engine: allow more than
    # Starlette's 40, so people beyond the engine's batch wait in its queue, not Gradio's.
    page.blocks.max_threads = 128
    page.blocks.queue(default_concurrency_limit=None, max_size=512)
    app.state.page = page
    return gr.mount_gradio_app(app, page.blocks, path="/", theme=THEME, css=CSS, footer_links=["api", "gradio"])


def cannot_run(profile, device: str | None) -> str | None:
    """Why this profile cannot run on this machine, known before loading anything; None if it may."""
    import torch

    if profile.remote:  # the server runs the model; this machine only talks to it
        return None
    device = device or profile.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        return (f"the {profile.name} profile runs on a CUDA GPU and this machine has none; "
                f"start with --profile demo, or --device cpu to try {profile.base} on the CPU (slow)")
    return None


def load_failure(profile, exc: BaseException) -> str:
    """One line that says why loading failed and what to do, instead of a traceback."""
    from lora_land.memory import MemoryPlanError

    from lora_land.remote import ServerUnavailable

    first = (str(exc).strip().splitlines() or [""])[0].rstrip(".")
    local = profile.base.startswith(("/", "./", "../"))
    if isinstance(exc, ServerUnavailable):
        return f"{first}; start the server (see the README's vLLM section) and restart the app"
    if isinstance(exc, MemoryPlanError):
        return str(exc)
    if isinstance(exc, OSError) and not local:
        return (f"cannot load {profile.base} from the Hugging Face hub or its local cache: {first}. "
                "Connect to the hub (and accept the model's terms, with HF_TOKEN set), or fill the cache "
                "on a connected machine first")
    if isinstance(exc, ImportError):
        return f"a package the {profile.name} profile needs is missing: {first}"
    return f"the model failed to load: {type(exc).__name__}: {first}"


def load_engine(service, config: str, profile: str, device: str | None, limits=None, compile: bool = False) -> None:
    """Load the base and the adapters, then attach the engine; a failure is kept for /health, the API and the page."""
    from lora_land.engine import Engine
    from lora_land.remote import RemoteEngine

    started = time.perf_counter()
    prof = service.catalog.profile(profile)
    reason = cannot_run(prof, device)
    if reason is None:
        try:
            if prof.remote:
                engine = RemoteEngine.from_config(config, profile)
            else:
                engine = Engine.from_config(config, profile, device=device, limits=limits, compile=compile)
        except Exception as exc:  # the server stays up and says why, in one line
            log.debug("loading %s failed", prof.base, exc_info=True)
            reason = load_failure(prof, exc)
    if reason is not None:
        log.error("the model is not available: %s", reason)
        service.load_error = reason
        return
    service.attach(engine)
    refused = f"; refused: {', '.join(sorted(engine.refused))}" if engine.refused else ""
    log.info("engine ready in %.1f s: %d adapters%s", time.perf_counter() - started, len(engine.adapters()), refused)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import uvicorn

    from lora_land.catalog import CatalogError, load_catalog
    from lora_land.service import Service
    from lora_land.store import LogUnavailable, Store

    try:
        catalog = load_catalog(args.config)
        catalog.profile(args.profile)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        store = Store(args.db)
    except (LogUnavailable, sqlite3.Error, OSError) as exc:
        print(f"error: {exc}: every request is logged there, so the app cannot start (--db names the file)",
              file=sys.stderr)
        return 2
    service = Service(catalog, args.profile, store, base_beside_api=args.api_base_twin)
    app = build_app(service, api_key=args.api_key)
    from lora_land.engine import Limits

    limits = Limits(max_rows=args.max_rows, max_context=args.max_context)
    threading.Thread(target=load_engine, args=(service, args.config, args.profile, args.device, limits, args.compile),
                     daemon=True, name="engine-loader").start()

    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"LoRA Land on http://{shown}:{args.port}  (API: http://{shown}:{args.port}/v1, log: {args.db})", flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=5)
    finally:
        service.close()  # the engine stops, running rows end cancelled and are written, then the log closes
    return 0


if __name__ == "__main__":
    sys.exit(main())
