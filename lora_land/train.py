"""Fine-tuning one task's LoRA adapter with PEFT.

`python -m lora_land train --task TASK --profile PROFILE` reads the task's template and
LoRA recipe from the catalog, takes training data from the task's synthetic miniature
(or a JSONL/CSV file with the template's fields and a target column), trains with the
loss on the answer tokens only, and writes a standard PEFT directory
(`adapter_config.json` + `adapter_model.safetensors`) that `PeftModel.from_pretrained`
loads. `--quantize nf4` trains on a 4-bit base (QLoRA). This module does not serve.
"""

from __future__ import annotations

import csv
import json
import math
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from lora_land.catalog import Profile, Task, TrainRecipe


@dataclass(frozen=True)
class Pair:
    """One training example as token ids: the rendered prompt and the answer (+ EOS)."""

    prompt: list[int]
    answer: list[int]


def read_examples_file(path: str | Path, task: Task, target: str = "target") -> list[tuple[dict, str]]:
    """(fields, answer) pairs from a JSONL or CSV file with the template's fields and `target`."""
    path = Path(path)
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    elif path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    else:
        raise ValueError(f"{path}: training data must be .jsonl or .csv")
    pairs = []
    for i, row in enumerate(rows, 1):
        missing = [c for c in (*task.fields, target) if c not in row]
        if missing:
            raise ValueError(f"{path}: row {i} lacks column(s) {missing}")
        pairs.append(({f: str(row[f]) for f in task.fields}, str(row[target])))
    if not pairs:
        raise ValueError(f"{path}: no rows")
    return pairs


def miniature_examples(task: Task, n: int, seed: int = 0, split: str = "train") -> list[tuple[dict, str]]:
    from lora_land.miniatures import make_split

    return [(e.fields, e.target) for e in make_split(task.key, split, n, seed=seed)]


def training_size(recipe: TrainRecipe) -> int:
    """How many miniature examples `train` draws: one fresh example per row trained on (at least 2000).

    An adapter that sees each example once learns the task's rule, not its examples.
    """
    return max(2000, recipe.steps * recipe.batch_size)


def encode(tokenizer, task: Task, examples: list[tuple[dict, str]]) -> list[Pair]:
    """Prompt and answer are tokenized apart, exactly as the prompt is at inference.

    An answer after a prompt that ends mid-line ("### Answer:") starts with a space, as
    the text would read, so its words are the same tokens as in the prompt.
    """
    pairs = []
    for fields, answer in examples:
        prompt = task.render(fields)
        if prompt and not prompt[-1].isspace() and not answer[:1].isspace():
            answer = " " + answer
        prompt_ids = tokenizer(prompt)["input_ids"]
        answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        pairs.append(Pair(prompt_ids, answer_ids))
    return pairs


def collate(pairs: list[Pair], pad_id: int) -> dict[str, torch.Tensor]:
    """Left-padded batch whose answers all end at the last position.

    Returns input_ids, attention_mask, position_ids (B, L) and answer_mask (B, K), where
    K is the longest answer: answer_mask marks, among the last K positions, the answer
    tokens of each row.
    """
    seqs = [p.prompt + p.answer for p in pairs]
    length = max(len(s) for s in seqs)
    k = max(len(p.answer) for p in pairs)
    input_ids = torch.full((len(seqs), length), pad_id, dtype=torch.long)  # (B, L)
    attention_mask = torch.zeros((len(seqs), length), dtype=torch.long)  # (B, L)
    answer_mask = torch.zeros((len(seqs), k), dtype=torch.bool)  # (B, K)
    for i, (s, p) in enumerate(zip(seqs, pairs)):
        input_ids[i, length - len(s):] = torch.tensor(s)
        attention_mask[i, length - len(s):] = 1
        answer_mask[i, k - len(p.answer):] = True
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)  # (B, L)
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "position_ids": position_ids,
        "answer_mask": answer_mask,
    }


def answer_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean cross-entropy over the answer tokens; logits are computed only where needed."""
    answer_mask = batch["answer_mask"]  # (B, K)
    k = answer_mask.shape[1]
    out = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        position_ids=batch["position_ids"],
        logits_to_keep=k + 1,
    )
    logits = out.logits[:, :-1].float()  # (B, K, V): position t predicts token t + 1
    labels = batch["input_ids"][:, -k:]  # (B, K)
    return torch.nn.functional.cross_entropy(logits[answer_mask], labels[answer_mask])


def lr_at(step: int, steps: int, peak: float, warmup: int = 20) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def optimize(optimizer: torch.optim.Optimizer, params, loss: torch.Tensor, lr: float) -> float:
    """One training step on `loss` at learning rate `lr`: backpropagate, clip the gradients' norm to 1, step,
    clear the gradients. Returns the loss."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def lora_config(recipe: TrainRecipe):
    from peft import LoraConfig

    return LoraConfig(
        r=recipe.rank,
        lora_alpha=recipe.alpha,
        target_modules=list(recipe.targets),
        lora_dropout=recipe.dropout,
        use_rslora=recipe.rslora,
        bias="none",
        task_type="CAUSAL_LM",
    )


def _base_name(profile: Profile, root: Path | None = None) -> str:
    """What the adapter records as its base: the hub id, or a local path relative to the catalog's folder.

    The catalog names a local base relative to its own folder (`./models/demo/base`), so
    the adapter does too, wherever the builder ran from; without a catalog folder, relative
    to here.
    """
    base = Path(profile.base)
    if not base.is_absolute():
        return profile.base
    for folder in (root, Path.cwd()):
        if folder is not None and base.is_relative_to(Path(folder).resolve()):
            return str(base.relative_to(Path(folder).resolve()))
    return str(base)


def train_adapter(
    task: Task,
    profile: Profile,
    out_dir: str | Path,
    examples: list[tuple[dict, str]] | None = None,
    recipe: TrainRecipe | None = None,
    quantize: str | None = None,
    seed: int = 0,
    progress: bool = True,
    device: str | None = None,
    catalog_root: Path | None = None,
) -> dict:
    """Train one adapter (on `device`, default the profile's) and save it as a PEFT directory; returns a summary dict."""
    from peft import get_peft_model
    from tqdm import tqdm

    from lora_land.loading import load_base_model, load_tokenizer

    recipe = recipe or task.adapters[profile.name].train
    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = load_tokenizer(profile)
    base = load_base_model(profile, quantize=quantize, device=device)
    if quantize:
        from peft import prepare_model_for_kbit_training

        base = prepare_model_for_kbit_training(base, use_gradient_checkpointing=False)
    model = get_peft_model(base, lora_config(recipe))
    model.train()

    if examples is None:
        examples = miniature_examples(task, n=training_size(recipe), seed=seed)
    pairs = encode(tokenizer, task, examples)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=recipe.learning_rate, weight_decay=0.0)
    device = next(p.device for p in params)

    started = time.perf_counter()
    order: list[int] = []
    losses: list[float] = []
    bar = tqdm(range(recipe.steps), desc=f"train {task.key}", disable=not progress, leave=False)
    for step in bar:
        if len(order) < recipe.batch_size:
            order += rng.sample(range(len(pairs)), len(pairs))
        batch_pairs = [pairs[order.pop()] for _ in range(recipe.batch_size)]
        batch = {k: v.to(device) for k, v in collate(batch_pairs, tokenizer.pad_token_id).items()}
        loss = answer_loss(model, batch)
        losses.append(optimize(optimizer, params, loss, lr_at(step, recipe.steps, recipe.learning_rate)))
        if step % 10 == 0:
            bar.set_postfix(loss=f"{sum(losses[-10:]) / len(losses[-10:]):.3f}")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base_name = _base_name(profile, catalog_root)
    model.peft_config["default"].base_model_name_or_path = base_name
    model.save_pretrained(out_dir, safe_serialization=True)
    sort_target_modules(out_dir / "adapter_config.json")
    name_base_in_card(out_dir / "README.md", model.base_model.model.config._name_or_path, base_name)
    head, tail = losses[:5], losses[-20:]
    return {
        "task": task.key,
        "out_dir": str(out_dir),
        "steps": recipe.steps,
        "examples": len(pairs),
        "first_loss": sum(head) / len(head),
        "final_loss": sum(tail) / len(tail),
        "seconds": time.perf_counter() - started,
        "recipe": replace(recipe, targets=list(recipe.targets)).__dict__,
    }


def sort_target_modules(config_path: Path) -> None:
    """PEFT writes target_modules in set order, which changes run to run; sort it so rebuilds match byte for byte."""
    config = json.loads(config_path.read_text())
    if isinstance(config.get("target_modules"), list):
        config["target_modules"] = sorted(config["target_modules"])
        config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def name_base_in_card(card: Path, loaded_from: str, base: str) -> None:
    """PEFT's model card names the base by the path it was loaded from; name it as the adapter's config does."""
    if card.is_file() and loaded_from != base:
        card.write_text(card.read_text(encoding="utf-8").replace(loaded_from, base), encoding="utf-8")
