"""The engine: one base model, many LoRA adapters, everybody's requests in shared batches.

    from lora_land.engine import Engine

    with Engine.from_config("adapters.yaml", profile="demo") as engine:
        engine.generate(["...", "..."], ["glue_sst2", "base"], max_new_tokens=8)
        for piece in engine.stream(prompt, "conllpp"):
            print(piece, end="")

`Engine` checks a request before anything is queued (parameters, adapter name, prompt
length), hands it to the scheduler thread and gives back a `RequestHandle`. Prompts are
raw text: templates are the caller's business. Adapters come from the catalog's profile
or from `add_adapter` at run time; a bad one is refused with the reason and the engine
carries on serving the others.

The engine knows nothing of Gradio, HTTP or SQLite.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from lora_land.lora import AdapterError, AdapterWeights, read_adapter
from lora_land.memory import MemoryPlan, MemoryPlanError, free_bytes, plan_memory, stack_bytes
from lora_land.model import BatchedModel, model_context
from lora_land.scheduler import (
    Completion,
    EngineBusy,
    EngineClosed,
    EngineError,
    InvalidRequest,
    Limits,
    PromptTooLong,
    Request,
    RequestHandle,
    SamplingParams,
    Scheduler,
    UnknownAdapter,
)
from lora_land.slots import SlotBank

__all__ = [
    "AdapterError", "Completion", "Engine", "EngineBusy", "EngineClosed", "EngineError", "InvalidRequest",
    "Limits", "MemoryPlanError", "PromptTooLong", "RequestHandle", "SamplingParams", "UnknownAdapter",
]
log = logging.getLogger(__name__)
BASE = "base"
_SAMPLING = {"max_new_tokens", "temperature", "top_p", "top_k", "seed", "stop", "ignore_eos"}


def _dtype(model) -> torch.dtype:
    """The compute dtype: a 4-bit model reports uint8 storage, computes in float32 unless told."""
    return model.dtype if model.dtype.is_floating_point else torch.float32


def check_request(engine, prompt: str, adapter: str, params: dict, max_tokens: int | None = None) -> Request:
    """A `Request` for `engine` (local or remote), or the error that says what is wrong with it.

    Both engines refuse the same things with the same errors: unknown parameters, bad
    sampling values, an empty prompt, an adapter it does not serve, a prompt that with
    its max_new_tokens does not fit the model's context (or `max_tokens`, the most one
    batch allows).
    """
    unknown = set(params) - _SAMPLING
    if unknown:
        raise InvalidRequest(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    if isinstance(params.get("stop"), str):
        params["stop"] = (params["stop"],)
    if "stop" in params:
        params["stop"] = tuple(params["stop"] or ())
    sampling = SamplingParams(**params)
    sampling.check()
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidRequest("the prompt is empty")
    if adapter != BASE and adapter not in engine.adapters():
        raise UnknownAdapter(f"no adapter named {adapter!r}; loaded: {', '.join(['base', *engine.adapters()])}")
    ids = engine.tokenizer(prompt)["input_ids"]
    if len(ids) + sampling.max_new_tokens > engine.max_context:
        raise PromptTooLong(
            f"the prompt is {len(ids)} tokens; with max_new_tokens {sampling.max_new_tokens} it exceeds "
            f"the model's context of {engine.max_context} tokens"
        )
    if max_tokens is not None and len(ids) + sampling.max_new_tokens > max_tokens:
        raise PromptTooLong(f"the request needs {len(ids) + sampling.max_new_tokens} tokens; the engine allows "
                            f"{max_tokens} per batch")
    return Request(prompt=prompt, adapter=adapter, params=sampling, prompt_ids=ids)


def batch_requests(engine, prompts: list[str], adapters: list[str] | str, **params) -> list[Request]:
    """The requests of a blocking `generate`: one adapter name for all prompts, or one per prompt."""
    if isinstance(prompts, str):
        raise InvalidRequest("prompts must be a list of strings")
    if isinstance(adapters, str):
        adapters = [adapters] * len(prompts)
    if len(adapters) != len(prompts):
        raise InvalidRequest(f"{len(prompts)} prompts but {len(adapters)} adapters")
    return [engine.make_request(p, a, **params) for p, a in zip(prompts, adapters)]


@dataclass(frozen=True)
class AdapterInfo:
    name: str
    source: str
    rank: int
    targets: tuple[str, ...]  # module kinds, e.g. ("q_proj", "v_proj")
    nbytes: int


class Engine:
    """Serve a base model and its adapters; see the module docstring for the calls."""

    def __init__(self, model, tokenizer, *, base_name: str, root: Path | None = None, max_adapters: int = 32,
                 limits: Limits | None = None, adapters: list[AdapterWeights] = (), free_memory: int | None = None,
                 compile: bool = False):
        """Plan the cache in the device's free memory (`free_memory` bytes, measured when None), then start.

        `adapters`, already read with `read_adapter`, are registered and counted in the plan.
        Raises MemoryPlanError when not even one short row fits. `compile`: decode steps
        run compiled by `torch.compile` (`BatchedModel`), each new rows bucket compiling
        on its first step.
        """
        self.tokenizer, self.base_name, self.root = tokenizer, base_name, root
        self.hf_model = model
        weight = next(p for p in model.parameters() if p.is_floating_point())
        dtype = _dtype(model)
        self.bank = SlotBank(model, max_adapters, weight.device, dtype, fixed=compile)
        self.plan = self._plan(limits or Limits(), adapters, weight.device, dtype, free_memory)
        log.info(self.plan.describe())
        self.limits = replace(limits or Limits(), max_rows=self.plan.rows, max_context=self.plan.context)
        self.model = BatchedModel(model, self.limits.max_rows, self.bank.batch, self.limits.max_context,
                                  compile=compile)
        for weights in adapters:
            self.bank.register(weights)
        self.refused: dict[str, str] = {}  # adapter name -> why it was not loaded
        self._adding = threading.Lock()
        self.scheduler = Scheduler(self.model, self.bank, tokenizer, self.limits)
        self.started = time.time()
        self.scheduler.start()

    def _plan(self, limits: Limits, adapters, device: torch.device, dtype: torch.dtype, free: int | None) -> MemoryPlan:
        """Rows and context for the key/value cache, with the adapters' slot stacks counted."""
        config = self.hf_model.config
        context = min(model_context(config), limits.max_context or model_context(config))
        stacks = stack_bytes([{m: (a.shape[0], a.shape[1], b.shape[0]) for m, (a, b) in w.modules.items()}
                              for w in adapters], self.bank.n_slots, dtype)
        return plan_memory(config, free=free_bytes(device) if free is None else free, dtype=dtype,
                           rows=limits.max_rows, context=context, prefill_tokens=limits.max_prefill_tokens,
                           slot_bytes=stacks, device=str(device))

    @classmethod
    def from_config(cls, path: str | Path = "adapters.yaml", profile: str = "demo", *, device: str | None = None,
                    quantize: str | None = None, max_adapters: int | None = None, limits: Limits | None = None,
                    tasks: list[str] | None = None, compile: bool = False) -> "Engine":
        """Load the profile's base and its catalog adapters, start the scheduler.

        An adapter that cannot be loaded is logged and listed in `engine.refused`; the
        others are served. `tasks` limits which catalog adapters are loaded; `compile` as in `Engine`.
        """
        from lora_land.catalog import load_catalog
        from lora_land.loading import load_base_model, load_tokenizer

        catalog = load_catalog(path)
        prof = catalog.profile(profile)
        tokenizer = load_tokenizer(prof)
        model = load_base_model(prof, quantize=quantize, device=device)
        wanted = [catalog.task(k) for k in (catalog.tasks if tasks is None else tasks)]
        root = catalog.path.parent
        read, refused = [], {}
        for task in wanted:
            source = task.adapters[profile]
            if source.source is None:
                refused[task.key] = source.unavailable or "no adapter is published for this profile"
                continue
            try:
                read.append(read_adapter(task.key, source.source, model, prof.base, root, dtype=_dtype(model)))
            except AdapterError as exc:
                refused[task.key] = str(exc)
                log.warning("adapter %s refused: %s", task.key, exc)
        engine = cls(model, tokenizer, base_name=prof.base, root=root, limits=limits, adapters=read,
                     max_adapters=max_adapters or max(1, sum(1 for t in wanted if t.adapters[profile].source)),
                     compile=compile)
        engine.refused.update(refused)
        return engine

    # --- adapters -----------------------------------------------------------------

    def add_adapter(self, name: str, source: str) -> AdapterInfo:
        """Read, check and register a PEFT adapter while the engine runs; raise AdapterError if unfit.

        Reading happens on the caller's thread; the adapter's weights reach a device
        slot when a request first needs it, between two steps.
        """
        if not isinstance(name, str) or not name.strip() or name == BASE or any(c.isspace() for c in name):
            raise AdapterError(f"adapter name {name!r} is not allowed (non-empty, no spaces, not 'base')")
        with self._adding:
            if self.bank.known(name):
                raise AdapterError(f"an adapter named {name!r} is already loaded")
            weights = read_adapter(name, source, self.hf_model, self.base_name, self.root, dtype=self.bank.dtype)
            self.bank.register(weights)
            self.refused.pop(name, None)
        return self.adapter_info(name)

    def adapters(self) -> list[str]:
        """The names a request may use, besides "base"."""
        return self.bank.names()

    def adapter_info(self, name: str) -> AdapterInfo:
        weights = self.bank.host[name]
        targets = tuple(sorted({m.rsplit(".", 1)[-1] for m in weights.modules}))
        return AdapterInfo(name, weights.source, weights.rank, targets, weights.nbytes)

    # --- requests -----------------------------------------------------------------

    @property
    def max_context(self) -> int:
        return self.model.max_context

    def count_tokens(self, prompt: str) -> int:
        return len(self.tokenizer(prompt)["input_ids"])

    def make_request(self, prompt: str, adapter: str = BASE, **params) -> Request:
        """Check everything about a request that can be checked before queueing it."""
        return check_request(self, prompt, adapter, params, max_tokens=self.limits.max_tokens)

    def submit(self, prompt: str, adapter: str = BASE, **params) -> RequestHandle:
        """Queue one request; raise InvalidRequest / UnknownAdapter / PromptTooLong / EngineBusy."""
        request = self.make_request(prompt, adapter, **params)
        self.scheduler.submit([request])
        return RequestHandle(request)

    def compare(self, prompt: str, adapter: str, **params) -> tuple[RequestHandle, RequestHandle]:
        """The adapter's answer and the base model's, admitted together so they share every batch."""
        tuned = self.make_request(prompt, adapter, **params)
        return tuple(self.submit_group([tuned, self.base_twin(tuned)]))

    @staticmethod
    def base_twin(request: Request) -> Request:
        """The base model's request for the same prompt and parameters (the prompt is not tokenized again)."""
        return Request(prompt=request.prompt, adapter=BASE, params=request.params, prompt_ids=request.prompt_ids)

    def submit_group(self, requests: list[Request]) -> list[RequestHandle]:
        """Queue requests made by `make_request` as one group, admitted in one step; raise EngineBusy / EngineClosed."""
        if len(requests) > self.limits.max_rows:
            raise InvalidRequest(f"a group of {len(requests)} requests exceeds max_rows {self.limits.max_rows}")
        adapters = {r.adapter for r in requests} - {BASE}
        if len(adapters) > self.bank.n_slots:  # it could never be admitted
            raise InvalidRequest(f"a group of {len(adapters)} adapters exceeds the engine's {self.bank.n_slots} "
                                 "adapter slots")
        self.scheduler.submit(requests)
        return [RequestHandle(r) for r in requests]

    def stream(self, prompt: str, adapter: str = BASE, **params):
        """Yield the answer's text piece by piece; closing the generator cancels the request."""
        handle = self.submit(prompt, adapter, **params)
        try:
            yield from handle
        finally:
            handle.cancel()

    def generate(self, prompts: list[str], adapters: list[str] | str = BASE, max_new_tokens: int = 64,
                 temperature: float = 0.0, **sampling) -> list[str]:
        """Generated text for each prompt, each with its own adapter, batched together (blocking)."""
        requests = batch_requests(self, prompts, adapters, max_new_tokens=max_new_tokens, temperature=temperature,
                                  **sampling)
        handles = []
        try:
            for request in requests:
                self._submit_waiting(request)
                handles.append(RequestHandle(request))
            results = [h.result() for h in handles]
        finally:
            for h in handles:
                h.cancel()
        failed = [r for r in results if r.finish_reason == "error"]
        if failed:
            raise EngineError(failed[0].error)
        return [r.text for r in results]

    def _submit_waiting(self, request: Request) -> None:
        """Queue a request of a blocking call, waiting for room instead of failing when busy."""
        while True:
            try:
                self.scheduler.submit([request])
                return
            except EngineBusy:
                time.sleep(0.01)

    # --- state --------------------------------------------------------------------

    def stats(self) -> dict:
        s = self.scheduler
        return {
            "queued": s.queued(),
            "running": s.running(),
            "steps": s.steps,
            "tokens_generated": s.tokens_generated,
            "busy_seconds": s.step_seconds,
            "adapters_loaded": len(self.bank.host),
            "adapters_on_device": len(self.bank.resident),
            "adapter_slots": self.bank.n_slots,
            "adapter_swaps": self.bank.loads,
            "uptime_seconds": time.time() - self.started,
        }

    def close(self) -> None:
        """Stop the scheduler; running and queued requests end as cancelled."""
        self.scheduler.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
