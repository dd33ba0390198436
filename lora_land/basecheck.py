"""Is a new demo base worth its 25 adapters? Three checks, in minutes, before hours of training.

The demo's pair tasks (`glue_mrpc`, `glue_qqp`, ...) stay at chance on the committed
base whatever the adapter's recipe: an answer that depends on whether a fact of one
sentence is in the other needs a base that can look a word up in what it has read. So a
candidate base is checked, with `python -m lora_land check-base --base DIR`, on:

1. **copy**: random token spans written twice; the base's loss (nats per token) on the
   first writing and on the second. A base that copies has a far lower second one.
2. **lookup**: a rank-16 LoRA trained on one question, "is this word among those?", about
   a fresh list of 3 to 12 words each time, then right on how many of 200 new lists.
   Half the words asked are in the list; 0.5 is chance. Beside it, the same question
   asked only about the list's *last* word (or one not listed): a comparison at a fixed
   place, which the committed base's adapter does learn. So a lookup at chance beside a
   last-word score well above it says the base cannot search what it read, not that the
   check cannot be learned.
3. **task**: one task's adapter (default `glue_mrpc`), trained with the catalog's demo
   recipe on its miniature, scored with the eval's metric on the test split, beside the
   score of always giving the test split's most common answer.

It trains with `train.train_adapter` and scores with `evaluate.generate`, as the demo
build and the eval do; adapters go to a temporary folder and are thrown away. It is not
part of the app and changes no file of the demo.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from dataclasses import replace

import torch

from lora_land.catalog import AdapterSource, Catalog, Profile, Task, TrainRecipe

LOOKUP = "lookup"
LOOKUP_TEMPLATE = "Words: {words}\nIs {word} one of them? Answer:"  # the word asked is the same token as in the list
LOOKUP_RECIPE = TrainRecipe(rank=16, alpha=32, steps=600, batch_size=16, learning_rate=3e-3)
LOOKUP_SIZES = (3, 12)  # words per list
CHECK_EXAMPLES = 200


def lookup_task(profile: str, recipe: TrainRecipe = LOOKUP_RECIPE) -> Task:
    """The lookup question as a task the trainer and the scorer take like any catalog task."""
    return Task(key=LOOKUP, name="Word lookup", category="Check", description="Is this word among those?",
                metric="binary_accuracy_flex", output="number", max_new_tokens=2, fields=("words", "word"),
                template=LOOKUP_TEMPLATE, examples=(), adapters={profile: AdapterSource(source=None, train=recipe)},
                labels={"0": "not in the list", "1": "in the list"})


def lookup_words(tokenizer) -> list[str]:
    """Whole words the tokenizer has as one token (after a space), so a list is words the base knows."""
    words = set()
    for piece in tokenizer.get_vocab():
        word = piece[1:] if piece[:1] in ("Ġ", "▁") else ""
        if len(word) > 2 and word.isascii() and word.isalpha() and word.islower():
            words.add(word)
    return sorted(words)


def lookup_examples(words: list[str], n: int, seed: int, last: bool = False) -> list[tuple[dict, str]]:
    """`n` (fields, answer) pairs: a list of distinct words and one word asked about, "1" when it is in the list.

    Half are asked about a word of the list (any place in it; with `last`, its last word), half about one that
    is not."""
    if len(words) < 2 * LOOKUP_SIZES[1]:
        raise ValueError(f"{len(words)} whole-word tokens; the lookup needs at least {2 * LOOKUP_SIZES[1]}")
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        listed = rng.sample(words, rng.randint(*LOOKUP_SIZES))
        inside = rng.random() < 0.5
        if inside:
            word = listed[-1] if last else rng.choice(listed)
        else:  # 16 draws hold at least 4 words off a list of at most 12
            word = rng.choice([w for w in rng.sample(words, 16) if w not in listed])
        examples.append(({"words": ", ".join(listed), "word": word}, "1" if inside else "0"))
    return examples


def copy_losses(model, special_ids=(), spans: int = 8, length: int = 40, seed: int = 0) -> tuple[float, float]:
    """Mean loss (nats per token) on the first and the second writing of random token spans written twice.

    The spans are drawn from every token but `special_ids` (the tokenizer's BOS, EOS, padding...). The first few
    tokens of each writing are left out: the first writing's start has no context, and the second's first token
    cannot be known to begin a copy."""
    ordinary = torch.ones(model.config.vocab_size, dtype=torch.bool)
    ordinary[list(special_ids)] = False
    choices = ordinary.nonzero().squeeze(1)
    draws = torch.randint(len(choices), (spans, length), generator=torch.Generator().manual_seed(seed))
    span = choices[draws]  # (S, L)
    ids = torch.cat([torch.full((spans, 1), model.config.bos_token_id), span, span], 1)  # (S, 2L + 1)
    device = next(model.parameters()).device
    with torch.no_grad():
        logits = model(ids.to(device)).logits[:, :-1].float()  # (S, 2L, V)
    loss = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:].to(device), reduction="none")
    return loss[:, 5:length].mean().item(), loss[:, length + 5:].mean().item()


def _mean_score(task: Task, outputs: list[str], pairs: list[tuple[dict, str]]) -> float:
    from lora_land.metrics import score

    return sum(score(task.metric, out, target) for out, (_, target) in zip(outputs, pairs)) / len(pairs)


def _train_and_score(task: Task, profile: Profile, examples, test, recipe: TrainRecipe, device: str | None,
                     progress: bool) -> dict:
    """Train `task`'s adapter on `examples` into a temporary folder; its training losses and score on `test`."""
    from peft import PeftModel

    from lora_land.evaluate import generate
    from lora_land.loading import load_base_model, load_tokenizer
    from lora_land.train import train_adapter

    with tempfile.TemporaryDirectory() as out:
        trained = train_adapter(task, profile, out, examples=examples, recipe=recipe, progress=progress,
                                device=device)
        tokenizer = load_tokenizer(profile)
        tokenizer.padding_side = "left"
        model = PeftModel.from_pretrained(load_base_model(profile, device=device), out).eval()
        outputs = generate(model, tokenizer, [task.render(fields) for fields, _ in test], task.max_new_tokens)
    majority = Counter(target for _, target in test).most_common(1)[0][0]
    return {"task": task.key, "steps": recipe.steps, "first_loss": round(trained["first_loss"], 4),
            "final_loss": round(trained["final_loss"], 4), "score": round(_mean_score(task, outputs, test), 3),
            "most_common_answer": round(_mean_score(task, [majority] * len(test), test), 3),
            "seconds": round(trained["seconds"])}


def check_base(catalog: Catalog, base: str, profile: str = "demo", task: str | None = "glue_mrpc",
               lookup_steps: int = LOOKUP_RECIPE.steps, task_steps: int | None = None,
               examples: int = CHECK_EXAMPLES, device: str | None = None, progress: bool = True) -> dict:
    """The three checks on the base in `base` (a saved model folder), with `profile`'s dtype and recipes."""
    from lora_land.loading import load_base_model, load_tokenizer
    from lora_land.miniatures import make_split
    from lora_land.train import miniature_examples, training_size

    prof = replace(catalog.profile(profile), base=str(base))
    report: dict = {"base": str(base)}
    model = load_base_model(prof, device=device)
    first, second = copy_losses(model, load_tokenizer(prof).all_special_ids)
    report["copy"] = {"first_writing": round(first, 3), "second_writing": round(second, 3)}
    del model

    if lookup_steps:
        words = lookup_words(load_tokenizer(prof))
        recipe = replace(LOOKUP_RECIPE, steps=lookup_steps)
        lookup = lookup_task(profile, recipe)
        for name, last in (("lookup", False), ("lookup_last_word", True)):
            train = lookup_examples(words, training_size(recipe), seed=0, last=last)
            test = lookup_examples(words, examples, seed=1, last=last)
            trained = _train_and_score(lookup, prof, train, test, recipe, device, progress)
            report[name] = {"words": len(words), **trained}
    if task:
        chosen = catalog.task(task)
        recipe = chosen.adapters[profile].train
        recipe = replace(recipe, steps=task_steps) if task_steps else recipe
        test = [(e.fields, e.target) for e in make_split(chosen.key, "test", min(examples, 500))]
        train = miniature_examples(chosen, n=training_size(recipe))
        report["task"] = _train_and_score(chosen, prof, train, test, recipe, device, progress)
    return report
