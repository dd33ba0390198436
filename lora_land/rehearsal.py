"""The Mistral-7B rehearsal: the `mistral-7b` profile's whole path, offline, on a CPU.

    python -m lora_land build-rehearsal --out /tmp/rehearsal
    HF_HUB_CACHE=/tmp/rehearsal/hub HF_HUB_OFFLINE=1 python app.py --profile mistral-7b --device cpu

Nothing can be downloaded here, so this builds, in a few seconds, what the hub would
serve, and lays it out as a Hugging Face hub cache (`models--org--name/refs/main` and
`snapshots/<commit>/`), the layout `huggingface_hub` itself reads when offline:

- `mistralai/Mistral-7B-v0.1`: Mistral-7B-v0.1's published config (hidden 4096, 32
  query and 8 key/value heads, MLP 14336, vocab 32000, rope theta 10000, sliding window
  4096, untied embeddings) except the number of layers, with random weights saved as
  bfloat16 safetensors; and Mistral's own SentencePiece tokenizer (`tokenizer.model` v1,
  32000 pieces, byte fallback, `▁` word boundaries, BOS `<s>`, EOS `</s>`, no pad), as
  the `mistral-common` package ships it, with a `tokenizer.json` laid out as the hub's
  (SentencePiece's merges in score order, a `▁` prepended, spaces as `▁`);
- `predibase/<task>` for every task the catalog's `mistral-7b` profile takes from the hub:
  PEFT adapters shaped like LoRA Land's (rank 8, alpha 16, `q_proj` and `v_proj`) with
  random weights and `base_model_name_or_path` set to the hub id.

Beside the cache, `adapters/` holds adapters of other shapes (the task without a
published adapter, rank 16 on all linear layers, rank 4 with rsLoRA), and
`adapters.yaml` is the project catalog with two profiles over the cache: `rehearsal`
(NF4 through bitsandbytes, as `mistral-7b`, on the CPU) and `rehearsal-bf16`.

So the catalog, hub ids, the tokenizer, NF4, the adapters' checks and the engine at
Mistral-7B's widths all run through the same code as on a GPU. It does not prove
Mistral-7B's answers: the weights are random.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import torch

BASE_ID = "mistralai/Mistral-7B-v0.1"
# Mistral-7B-v0.1's config.json as published on the hub.
MISTRAL_7B = dict(
    architectures=["MistralForCausalLM"], bos_token_id=1, eos_token_id=2, hidden_act="silu", hidden_size=4096,
    initializer_range=0.02, intermediate_size=14336, max_position_embeddings=32768, model_type="mistral",
    num_attention_heads=32, num_hidden_layers=32, num_key_value_heads=8, rms_norm_eps=1e-05, rope_theta=10000.0,
    sliding_window=4096, tie_word_embeddings=False, vocab_size=32000,
)
# Mistral-7B-v0.1's tokenizer_config.json and special tokens as published.
TOKENIZER_CONFIG = dict(
    add_bos_token=True, add_eos_token=False, bos_token="<s>", clean_up_tokenization_spaces=False, eos_token="</s>",
    legacy=True, model_max_length=1000000000000000019884624838656, pad_token=None, sp_model_kwargs={},
    spaces_between_special_tokens=False, tokenizer_class="LlamaTokenizer", unk_token="<unk>",
    use_default_system_prompt=False,
)
LORA_LAND_SHAPE = dict(rank=8, alpha=16, targets=("q_proj", "v_proj"))  # the published predibase/* adapters
OTHER_SHAPES = {
    "all-linear-r16": dict(rank=16, alpha=32, targets=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                        "up_proj", "down_proj")),
    "rslora-r4": dict(rank=4, alpha=8, targets=("q_proj", "k_proj", "v_proj", "o_proj"), rslora=True),
}
PROFILES = {
    "rehearsal": dict(description="The Mistral-7B rehearsal in NF4 on the CPU.", base=BASE_ID, device="cpu",
                      dtype="bfloat16", quantize="nf4"),
    "rehearsal-bf16": dict(description="The Mistral-7B rehearsal in bfloat16 on the CPU.", base=BASE_ID,
                           device="cpu", dtype="bfloat16"),
}


def mistral_tokenizer_model() -> Path:
    """Mistral's SentencePiece model for Mistral-7B-v0.1, as the `mistral-common` package ships it."""
    import mistral_common

    path = Path(mistral_common.__file__).parent / "data" / "tokenizer.model.v1"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: install mistral-common (see requirements.txt)")
    return path


def build_tokenizer(out: Path) -> None:
    """tokenizer.model, tokenizer.json and tokenizer_config.json as Mistral-7B-v0.1 publishes them."""
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, processors
    from tokenizers.models import BPE
    from transformers.convert_slow_tokenizer import SentencePieceExtractor
    from transformers.tokenization_utils_base import generate_merges

    source = mistral_tokenizer_model()
    pieces = [(p.piece, p.score) for p in SentencePieceExtractor(str(source)).proto.pieces]
    vocab = {piece: i for i, (piece, _) in enumerate(pieces)}
    # SentencePiece merges the best-scoring pair first: runs of spaces score lowest.
    merges = generate_merges(vocab, pieces)
    tok = Tokenizer(BPE(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True, dropout=None))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", 1)])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ("<unk>", "<s>", "</s>")])
    tok.save(str(out / "tokenizer.json"))
    shutil.copyfile(source, out / "tokenizer.model")
    (out / "tokenizer_config.json").write_text(json.dumps(TOKENIZER_CONFIG, indent=2))
    (out / "special_tokens_map.json").write_text(json.dumps({"bos_token": "<s>", "eos_token": "</s>",
                                                             "unk_token": "<unk>"}, indent=2))


def build_base(out: Path, layers: int, seed: int) -> None:
    """Mistral-7B-v0.1's config with `layers` layers and random weights, saved as bfloat16 safetensors."""
    from transformers import MistralConfig, MistralForCausalLM

    torch.manual_seed(seed)
    config = MistralConfig(**{**MISTRAL_7B, "num_hidden_layers": layers})
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # initialise in bf16: half the memory and time of float32
    try:
        model = MistralForCausalLM(config)
    finally:
        torch.set_default_dtype(default)
    model.config.dtype = "bfloat16"
    model.save_pretrained(out)


def linear_shapes(config: dict, layers: int) -> dict[str, tuple[int, int]]:
    """module name -> (in, out) for every projection of a Mistral model with this config."""
    d, kv = config["hidden_size"], config["num_key_value_heads"] * config["hidden_size"] // config["num_attention_heads"]
    m = config["intermediate_size"]
    per_layer = {"self_attn.q_proj": (d, d), "self_attn.k_proj": (d, kv), "self_attn.v_proj": (d, kv),
                 "self_attn.o_proj": (d, d), "mlp.gate_proj": (d, m), "mlp.up_proj": (d, m), "mlp.down_proj": (m, d)}
    return {f"model.layers.{i}.{name}": shape for i in range(layers) for name, shape in per_layer.items()}


def write_adapter(path: Path, shapes: dict[str, tuple[int, int]], *, rank: int, alpha: int, targets, base: str,
                  generator: torch.Generator, rslora: bool = False, dtype: torch.dtype = torch.float32) -> Path:
    """A PEFT LoRA directory with random weights: PEFT's config file and PEFT's tensor names.

    B is not zero (as a trained adapter's is not), scaled so that the adapter changes the
    model's answers without swamping the base.
    """
    from peft import LoraConfig
    from safetensors.torch import save_file

    LoraConfig(r=rank, lora_alpha=alpha, target_modules=sorted(targets), use_rslora=rslora,
               base_model_name_or_path=base, task_type="CAUSAL_LM").save_pretrained(path)
    tensors = {}
    for name, (n_in, n_out) in shapes.items():
        if name.rsplit(".", 1)[-1] in targets:
            tensors[f"base_model.model.{name}.lora_A.weight"] = (torch.randn(rank, n_in, generator=generator)
                                                                  / n_in**0.5).to(dtype)
            tensors[f"base_model.model.{name}.lora_B.weight"] = (torch.randn(n_out, rank, generator=generator)
                                                                  * 0.02).to(dtype)
    save_file(tensors, str(path / "adapter_model.safetensors"))
    return path


def hub_snapshot(cache: Path, repo_id: str) -> Path:
    """The snapshot folder of `repo_id` in a hub cache, with refs/main pointing at it."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    commit = hashlib.sha1(repo_id.encode()).hexdigest()  # a stable stand-in for the hub's commit id
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    return snapshot


def write_catalog(out: Path, project_catalog: Path, adapters_dir: Path) -> Path:
    """The project catalog with the rehearsal profiles, each task's adapter as `mistral-7b` names it."""
    import yaml

    data = yaml.safe_load(project_catalog.read_text(encoding="utf-8"))
    data["profiles"] = PROFILES
    for task in data["tasks"].values():
        entry = dict(task["adapters"]["mistral-7b"])
        entry.pop("train", None)
        task["adapters"] = {name: entry for name in PROFILES}
    path = out / "adapters.yaml"
    path.write_text("# The Mistral-7B rehearsal's catalog, written by `python -m lora_land build-rehearsal`.\n"
                    + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000), encoding="utf-8")
    return path


def build(out: str | Path, *, layers: int = 2, seed: int = 0, catalog: str | Path = "adapters.yaml") -> Path:
    """Build the rehearsal into `out` (emptied first); see the module docstring. Returns `out`."""
    import yaml

    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    hub = out / "hub"
    base = hub_snapshot(hub, BASE_ID)
    build_tokenizer(base)
    build_base(base, layers, seed)

    shapes = linear_shapes(MISTRAL_7B, layers)
    g = torch.Generator().manual_seed(seed + 1)
    tasks = yaml.safe_load(Path(catalog).read_text(encoding="utf-8"))["tasks"]
    made = {}
    for key, task in tasks.items():
        source = task["adapters"]["mistral-7b"]["source"]
        path = hub_snapshot(hub, source) if source else out / "adapters" / key
        made[key] = str(write_adapter(path, shapes, base=BASE_ID, generator=g, **LORA_LAND_SHAPE))
    for name, shape in OTHER_SHAPES.items():
        made[name] = str(write_adapter(out / "adapters" / name, shapes, base=BASE_ID, generator=g, **shape))
    write_catalog(out, Path(catalog), out / "adapters")
    (out / "rehearsal.json").write_text(json.dumps({"base": BASE_ID, "layers": layers, "seed": seed,
                                                    "adapters": made}, indent=2))
    return out
