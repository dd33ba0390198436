"""Shared fixtures: the real app, started as `python app.py` on a free local port."""

from __future__ import annotations

import pytest

from lora_land.bench.server import ROOT, free_port, rows, start_app

__all__ = ["ROOT", "free_port", "rows", "start_app"]  # the test modules import these from here


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    server = start_app(tmp_path_factory.mktemp("app"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rehearsal(tmp_path_factory):
    """The Mistral-7B rehearsal (`python -m lora_land build-rehearsal`), built once per test session.

    Its hub cache is where huggingface_hub looks, offline, while the session runs, so
    "mistralai/Mistral-7B-v0.1" and "predibase/<task>" load by hub id as on a GPU.
    """
    from huggingface_hub import constants

    from lora_land.rehearsal import build

    out = build(tmp_path_factory.mktemp("rehearsal"), layers=2, catalog=ROOT / "adapters.yaml")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(constants, "HF_HUB_CACHE", str(out / "hub"))
        mp.setattr(constants, "HF_HUB_OFFLINE", True)
        yield out
