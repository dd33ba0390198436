"""Loading a profile's base model and tokenizer with transformers.

The same code loads the built-in demo model from a directory in the repository and
Mistral-7B from the hub: `AutoTokenizer` / `AutoModelForCausalLM`, never
`trust_remote_code`. NF4 4-bit comes from bitsandbytes (CPU or CUDA). This module knows
nothing of adapters, batching or serving.
"""

from __future__ import annotations

import torch

from lora_land.catalog import Profile

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def load_tokenizer(profile: Profile):
    """The base's tokenizer; its `tokenizer.json`, when it has one, exactly as published.

    transformers 5 rebuilds a `LlamaTokenizer`'s pre-tokenizer in code, so Mistral-7B's
    published tokenizer.json (SentencePiece's own rule: always prepend `▁`) would lose the
    first space of a prompt that starts with one. Loading the file itself keeps the ids
    SentencePiece gives. Models without a tokenizer.json go through AutoTokenizer.
    """
    from transformers import AutoTokenizer, PreTrainedTokenizerFast
    from transformers.utils import cached_file

    published = cached_file(profile.base, "tokenizer.json", _raise_exceptions_for_missing_entries=False,
                            _raise_exceptions_for_connection_errors=False)
    loader = PreTrainedTokenizerFast if published else AutoTokenizer
    tokenizer = loader.from_pretrained(profile.base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base_model(profile: Profile, quantize: str | None = None, device: str | None = None):
    """The profile's base model in eval mode; `quantize` ("nf4") overrides the profile's own."""
    from transformers import AutoModelForCausalLM

    quantize = quantize if quantize is not None else profile.quantize
    device = device or profile.device
    dtype = DTYPES[profile.dtype]
    kwargs: dict = {"dtype": dtype}
    if quantize == "nf4":
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=dtype,
            bnb_4bit_use_double_quant=True,
        )
        kwargs["device_map"] = {"": device}
    elif quantize is not None:
        raise ValueError(f"unknown quantization {quantize!r}; expected 'nf4'")
    model = AutoModelForCausalLM.from_pretrained(profile.base, **kwargs)
    if quantize is None:
        model.to(device)
    model.eval()
    return model
