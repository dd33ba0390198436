"""Synthetic miniatures of the 25 LoRA Land tasks.

Each generator draws one `Example` of one task from closed word lists, with a rule
that a tiny transformer plus a LoRA adapter can learn in a few hundred steps: the
label is decided by which keyword lists the input draws from, or the target copies
slots of the input into a fixed pattern. Targets are deterministic given the
fields, so greedy decoding can get every example exactly right, and class labels
are drawn uniformly.

`fields` are keyed by the reference task's input columns and `target` is written
in the task's output format, so the reference prompt templates apply unchanged.

This package is the data and the train/test split. It is not prompt templating,
tokenization, training or scoring (see `metrics`).
"""

from __future__ import annotations

import random
import zlib
from typing import Callable

from lora_land.miniatures.common import Example
from lora_land.miniatures.classify import covid, customer_support, dbpedia, glue_sst2, jigsaw, legal
from lora_land.miniatures.generation import e2e_nlg, magicoder, tldr_content_gen, tldr_headline_gen, viggo, webnlg, wikisql
from lora_land.miniatures.ner import bc5cdr, conllpp
from lora_land.miniatures.pairs import glue_cola, glue_mnli, glue_mrpc, glue_qnli, glue_qqp, glue_stsb
from lora_land.miniatures.reasoning import drop, gsm8k, hellaswag, hellaswag_processed

SPLITS = ("train", "test")
TEST_POOL = 500  # train never repeats the fields of the first TEST_POOL test examples

# --- registry and splits -----------------------------------------------------------

GENERATORS: dict[str, Callable[[random.Random], Example]] = {
    "bc5cdr": bc5cdr, "conllpp": conllpp, "covid": covid, "customer_support": customer_support,
    "dbpedia": dbpedia, "drop": drop, "e2e_nlg": e2e_nlg, "glue_cola": glue_cola, "glue_mnli": glue_mnli,
    "glue_mrpc": glue_mrpc, "glue_qnli": glue_qnli, "glue_qqp": glue_qqp, "glue_sst2": glue_sst2,
    "glue_stsb": glue_stsb, "gsm8k": gsm8k, "hellaswag": hellaswag, "hellaswag_processed": hellaswag_processed,
    "jigsaw": jigsaw, "legal": legal, "magicoder": magicoder, "tldr_content_gen": tldr_content_gen,
    "tldr_headline_gen": tldr_headline_gen, "viggo": viggo, "webnlg": webnlg, "wikisql": wikisql,
}


def tasks() -> list[str]:
    return sorted(GENERATORS)


def _rng(task: str, split: str, seed: int) -> random.Random:
    return random.Random(zlib.crc32(f"{task}/{split}/{seed}".encode()))


def _key(example: Example) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(example.fields.items()))


def make_split(task: str, split: str, n: int, seed: int = 0) -> list[Example]:
    """The first `n` examples of `task`'s `split`, deterministic from (task, split, seed).

    Test examples come from their own stream, so a test set does not depend on the
    train size. Train examples skip any example whose fields equal one of the first
    TEST_POOL test examples, which is why a test split is capped at TEST_POOL.
    """
    if task not in GENERATORS:
        raise ValueError(f"unknown task {task!r}; expected one of {tasks()}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    generate = GENERATORS[task]
    if split == "test":
        if n > TEST_POOL:
            raise ValueError(f"test split of {n} examples; at most {TEST_POOL} are kept out of train")
        rng = _rng(task, "test", seed)
        return [generate(rng) for _ in range(n)]
    held_out = {_key(example) for example in make_split(task, "test", TEST_POOL, seed)}
    rng = _rng(task, "train", seed)
    examples: list[Example] = []
    for _ in range(20 * n + 1000):
        if len(examples) == n:
            break
        example = generate(rng)
        if _key(example) not in held_out:
            examples.append(example)
    if len(examples) < n:
        raise RuntimeError(f"{task}: could not draw {n} train examples outside the test pool")
    return examples
