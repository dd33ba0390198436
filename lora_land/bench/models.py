"""The models and adapters the in-process parts of the benchmark run on, and how each contender generates.

Random Mistral-shaped models (nothing is downloaded), random PEFT adapters of mixed ranks
and targets, PEFT itself with every adapter loaded, and one batch through transformers'
`generate` or through our engine. Importing this module loads torch; the parts that only
drive a running app over HTTP never import it.
"""

from __future__ import annotations

import os
import platform
import tempfile
from pathlib import Path

# Before torch loads OpenMP. The engine computes on its own thread and the baselines (transformers' generate,
# PEFT) on this one: with two OpenMP thread teams on a 2-core machine libgomp throttles its spin-waiting and every
# small op pays a thread wake-up, which made the demo's mixed batch measure 2x slower. Spinning threads serve every
# contender alike; an app process computes on the engine thread alone and never meets this.
os.environ.setdefault("OMP_WAIT_POLICY", "ACTIVE")

import torch  # noqa: E402

ROWS, NEW_TOKENS, N_ADAPTERS = 32, 32, 25
SHAPES_150M = dict(hidden_size=768, intermediate_size=2048, num_hidden_layers=16, num_attention_heads=12,
                   num_key_value_heads=4, vocab_size=32000, max_position_embeddings=2048)
SHAPES_7B = dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=8, vocab_size=32000, max_position_embeddings=32768, sliding_window=4096)
ATTENTION = ["q_proj", "k_proj", "v_proj", "o_proj"]
ALL_LINEAR = ATTENTION + ["gate_proj", "up_proj", "down_proj"]
MIXES = {  # (rank, targets), cycled over the adapters
    "varied": [(8, ATTENTION), (16, ALL_LINEAR), (4, ATTENTION), (8, ALL_LINEAR), (16, ATTENTION)],
    "lora-land": [(8, ["q_proj", "v_proj"])],  # the published predibase/* adapters
}


def sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def random_model(shapes: dict, dtype: torch.dtype, device: str, quantize: str | None, seed: int = 0):
    """A Mistral-shaped model with random weights (nothing is downloaded), built on `device`.

    NF4 is saved and loaded back through bitsandbytes, as a user's model would be.
    """
    from transformers import AutoModelForCausalLM, MistralConfig

    torch.manual_seed(seed)
    config = MistralConfig(**{"sliding_window": None, **shapes})
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    if quantize is None:
        return model.eval()
    directory = tempfile.mkdtemp(prefix="lora-land-bench-base-")
    model.save_pretrained(directory)
    del model
    from transformers import BitsAndBytesConfig

    q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype)
    return AutoModelForCausalLM.from_pretrained(directory, quantization_config=q, device_map={"": device},
                                                dtype=dtype).eval()


def write_random_adapters(model, directory: Path, n: int, base_name: str, mix: str = "varied", seed: int = 0) -> list[Path]:
    """n PEFT adapter directories with random weights, ranks and targets cycled from MIXES[mix]."""
    from lora_land.rehearsal import write_adapter

    g = torch.Generator().manual_seed(seed)
    shapes = {name: (m.in_features, m.out_features) for name, m in model.named_modules()
              if name.rsplit(".", 1)[-1] in ALL_LINEAR and hasattr(m, "in_features")}
    out = []
    for i in range(n):
        rank, targets = MIXES[mix][i % len(MIXES[mix])]
        out.append(write_adapter(directory / f"adapter{i:03d}", shapes, rank=rank, alpha=2 * rank, base=base_name,
                                 targets=targets, generator=g))
    return out


def peft_model(model, names: list[str], paths: list[Path]):
    """PEFT with every adapter loaded, wrapping `model` itself (give it a model of its own).

    Models are loaded afresh, never deep-copied: on this project's CPU machine, a process
    that had deep-copied a loaded model ran every later batch up to 2x slower (the
    engine's too), which no benchmark should carry.
    """
    from peft import PeftModel

    peft = PeftModel.from_pretrained(model, str(paths[0]), adapter_name=names[0])
    for name, path in zip(names[1:], paths[1:]):
        peft.load_adapter(str(path), adapter_name=name)
    return peft.eval()


def hf_generate(model, tokenizer, prompts, new_tokens, **kwargs):
    enc = tokenizer(prompts, return_tensors="pt", padding=True).to(model.device)
    with torch.inference_mode():
        model.generate(**enc, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                       pad_token_id=tokenizer.pad_token_id, **kwargs)
    sync(model.device)


def engine_generate(engine, prompts, adapters, new_tokens):
    engine.generate(prompts, adapters, max_new_tokens=new_tokens, ignore_eos=True)
    sync(engine.model.device)



def machine(**extra) -> dict:
    """What a report was measured on."""
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(), "torch": torch.__version__, **extra}
