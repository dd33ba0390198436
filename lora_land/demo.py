"""Building the built-in demo: tokenizer, base model, 25 adapters, evaluation.

`python -m lora_land build-demo` makes everything the `demo` profile serves, from
nothing, deterministically, on a CPU:

1. a byte-level BPE tokenizer trained with `tokenizers` on the miniatures' text;
2. a small Mistral-architecture causal LM (grouped-query attention) pretrained on the
   *unlabelled* prompts of the 25 tasks (inputs, never answers), so the base model knows
   the templates and the words but cannot answer any task; optionally also on an
   English dictionary (WordNet's entries, `--reading`), so that it knows words the
   miniatures never use (a "firm" is a kind of business, "worst" is the opposite of "best");
   one row in eight of every batch is a copy drill (random token spans, each written
   twice), which teaches the base to copy what it has read: names, numbers, values, the
   first thing nearly every adapter has to do with a visitor's input;
3. one LoRA adapter per task, trained with `lora_land.train` on the task's miniature;
4. the evaluation table and chart (`lora_land.evaluate`).

Both the tokenizer and the model are written with `save_pretrained`, so
`AutoTokenizer` / `AutoModelForCausalLM` load them from a directory exactly as they
load Mistral-7B. The base is stored in float16 and the adapters are trained on that
float16-rounded base, so what is committed is exactly what was trained against.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from pathlib import Path

import torch

from lora_land.catalog import Catalog, load_catalog

SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>"]
VOCAB_SIZE = 4096
MODEL_SHAPE = {
    "hidden_size": 192,
    "intermediate_size": 512,
    "num_hidden_layers": 4,
    "num_attention_heads": 6,
    "num_key_value_heads": 2,  # grouped-query attention, as in Mistral-7B (32 heads, 8 KV)
    "max_position_embeddings": 1024,
}
PRETRAIN_SEQ_LEN = 512
COPY_SHARE = 0.125  # of each pretraining batch's rows: copy drills
DOC_SEPARATOR = "\n\n"


def tokenizer_corpus(catalog: Catalog, n_per_task: int, seed: int) -> list[str]:
    """Rendered prompts and answers of every task's train split: the text the tokenizer sees."""
    from lora_land.miniatures import make_split

    texts = []
    for task in catalog.tasks.values():
        for example in make_split(task.key, "train", n_per_task, seed=seed):
            texts += [task.render(example.fields), example.target]
    return texts


def pretraining_documents(catalog: Catalog, n_per_task: int, seed: int) -> list[tuple[str, bool]]:
    """The unlabelled text the base learns from: (text, ends with EOS) pairs.

    A rendered prompt goes on, like text on the web, with words about its input: the
    input quoted back, sometimes with another of its fields or a few of its words, and
    then the document ends. So the base, like any pretrained LM, keeps writing after a
    prompt about what it was given, instead of answering it (no answer is ever shown)
    or starting an unrelated document. The input fields on their own are short
    documents that end with EOS, so the base knows where a text ends; each is also
    quoted twice, which teaches the base to copy from its context (the induction that
    entity extraction and sentence comparison build on), and followed by a few of its
    own words in quotes, as a keyword line, so that a word read mid-sentence
    (" Monday") can be written at the start of a quoted string ("Monday"), as JSON
    answers do.
    """
    from lora_land.miniatures import make_split

    rng = random.Random(seed)
    documents = []
    for task in catalog.tasks.values():
        for example in make_split(task.key, "train", n_per_task, seed=seed):
            documents.append((continued_prompt(task.render(example.fields), list(example.fields.values()), rng), True))
            for value in example.fields.values():
                documents += [(value, True), (f"{value}{DOC_SEPARATOR}{value}", True)]
                words = list(dict.fromkeys(w for w in value.split() if w.isalnum()))
                if words:
                    picked = sorted(rng.sample(range(len(words)), min(3, len(words))))
                    keywords = ", ".join(f'"{words[i]}"' for i in picked)
                    documents.append((f"{value}{DOC_SEPARATOR}Keywords: {keywords}", True))
    return documents


WORDNET_PARTS = {"noun": "noun", "verb": "verb", "adj": "adjective", "adv": "adverb"}
WORDNET_RELATIONS = (("@", "A kind of"), ("!", "Opposite"), ("&", "Like"))  # pointer symbol, how it reads


def reading_documents(wordnet_dir: str | Path) -> list[tuple[str, bool]]:
    """An English dictionary as documents: one per WordNet synset (`data.noun` ... `data.adv`).

    An entry reads like a dictionary's: its words, part of speech and definition with
    the usage examples, then what it is a kind of, its opposite and what it is like,
    each named by that synset's first word:

        firm, house, business firm (noun): the members of a business organization ...
        A kind of: business

    The base learns from these what the miniatures' own words cannot teach it: words a
    visitor uses that no miniature does, and how they relate to the ones the adapters
    are trained on. No task answer is in them.
    """
    wordnet_dir = Path(wordnet_dir)
    entries: dict[tuple[str, str], tuple[list[str], str, str, list[tuple[str, str, str]]]] = {}
    for part, part_name in WORDNET_PARTS.items():
        path = wordnet_dir / f"data.{part}"
        if not path.exists():
            raise FileNotFoundError(f"{path}: not a WordNet database folder (Debian: apt-get install wordnet-base)")
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line or line[0] == " ":  # the licence header is indented
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            count = int(fields[3], 16)
            words = [_wordnet_word(w) for w in fields[4 : 4 + 2 * count : 2]]
            at = 4 + 2 * count
            pointers = [tuple(fields[at + 1 + 4 * i : at + 4 + 4 * i]) for i in range(int(fields[at]))]
            kind = "a" if fields[2] == "s" else fields[2]  # adjective satellites share the adjectives' file
            entries[(kind, fields[0])] = (words, part_name, gloss.strip(), pointers)
    documents = []
    for words, part_name, gloss, pointers in entries.values():
        lines = [f"{', '.join(dict.fromkeys(words))} ({part_name}): {gloss}"]
        for symbol, reads in WORDNET_RELATIONS:
            named = [entries[key][0][0] for s, offset, pos in pointers if s == symbol
                     and (key := ("a" if pos == "s" else pos, offset)) in entries]
            if named:
                lines.append(f"{reads}: {', '.join(dict.fromkeys(named[:3]))}")
        documents.append(("\n".join(lines), True))
    return documents


def _wordnet_word(word: str) -> str:
    """A WordNet lemma as text: underscores are spaces; an adjective's position marker goes."""
    for marker in ("(a)", "(p)", "(ip)"):
        word = word.removesuffix(marker)
    return word.replace("_", " ")


def continued_prompt(prompt: str, values: list[str], rng: random.Random) -> str:
    """A prompt followed by a continuation about its input: a field quoted back, maybe more.

    The continuation starts as an answer would (after a space when the prompt ends
    mid-line), never with blank lines.
    """
    first = rng.choice(values)
    text = first
    others = [v for v in values if v != first]
    if others and rng.random() < 0.4:
        text += "\n" + rng.choice(others)
    elif rng.random() < 0.4:
        picked = [w for w in first.split() if w.isalnum()][:rng.randint(2, 6)]
        if picked:
            text += "\n" + rng.choice(["It is about", "Key words:", "In short:", "See also:"]) + " " + " ".join(picked)
    lead = "" if not prompt or prompt[-1].isspace() else " "
    return prompt + lead + text


def build_tokenizer(texts: list[str], out_dir: Path, vocab_size: int = VOCAB_SIZE):
    """Byte-level BPE (any Unicode text encodes), digits split and BOS prepended like Llama/Mistral."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    # digits one by one, as Mistral's tokenizer splits them: a number never seen in training is
    # still made of known tokens, and an adapter can copy it digit by digit
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        model_max_length=MODEL_SHAPE["max_position_embeddings"],
    )
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def pack(tokenizer, documents: list[tuple[str, bool]], seq_len: int, rng: random.Random) -> torch.Tensor:
    """Documents shuffled and concatenated, each closed by EOS or a blank line, cut into rows.

    Returns (N, seq_len) token ids; every row starts with BOS.
    """
    documents = documents[:]
    rng.shuffle(documents)
    separator = tokenizer(DOC_SEPARATOR, add_special_tokens=False)["input_ids"]
    encoded = tokenizer([text for text, _ in documents], add_special_tokens=False)["input_ids"]
    ids: list[int] = []
    for tokens, (_, ends) in zip(encoded, documents):
        ids += tokens + ([tokenizer.eos_token_id] if ends else separator)
    width = seq_len - 1
    rows = [[tokenizer.bos_token_id] + ids[i : i + width] for i in range(0, len(ids) - width + 1, width)]
    return torch.tensor(rows)


def drill_vocabulary(tokenizer) -> list[int]:
    """The token ids copy drills draw from: every id but the special ones."""
    special = set(tokenizer.all_special_ids)
    return [i for i in range(len(tokenizer)) if i not in special]


def copy_drill(tokenizer, length: int, rng: random.Random, vocab: list[int] | None = None) -> tuple[list[int], list[int]]:
    """One pretraining row of random token spans (6 to 40 tokens), each written twice, and its labels.

    Only a span's second writing is learned (the first is random, its labels are -100):
    the base learns to find what it has read before and go on copying it. A base that
    read only the miniatures' text never learned this (its loss on a repeated random
    span was no lower the second time); after a few hundred steps of drills it is.
    `vocab` is the ids spans are drawn from (default: every id but the special ones).
    """
    vocab = vocab or drill_vocabulary(tokenizer)
    ids, labels = [tokenizer.bos_token_id], [-100]
    while len(ids) < length:
        span = [rng.choice(vocab) for _ in range(rng.randint(6, 40))]
        ids += span + span
        labels += [-100] * len(span) + span
    return ids[:length], labels[:length]


def pretrain_base(
    tokenizer,
    documents: list[tuple[str, bool]],
    out_dir: Path,
    steps: int,
    batch_size: int = 8,
    learning_rate: float = 3e-3,
    seed: int = 0,
    progress: bool = True,
    shape: dict | None = None,
    device: str = "cpu",
    bf16: bool = False,
    copy_share: float = COPY_SHARE,
    continue_from: Path | None = None,
) -> dict:
    """Next-token pretraining of a fresh Mistral-architecture model on `device`; saved in float16.

    `shape` overrides MODEL_SHAPE's entries (a larger demo for a GPU build, a tiny one for tests).
    `bf16` runs the forward pass under bfloat16 autocast (weights and optimizer stay float32):
    about 1.3x the tokens per second on a CPU with AVX-512 BF16, more on a GPU.
    `copy_share` of each batch's rows are copy drills (`copy_drill`), the rest packed documents.
    `continue_from` is a saved base to go on pretraining instead of a fresh model (its shape is kept).
    """
    from tqdm import tqdm
    from transformers import MistralConfig, MistralForCausalLM

    from lora_land.train import lr_at, optimize

    torch.manual_seed(seed)
    rng = random.Random(seed)
    if continue_from is not None:
        model = MistralForCausalLM.from_pretrained(continue_from, dtype=torch.float32).to(device)
        config = model.config
    else:
        config = MistralConfig(
            vocab_size=len(tokenizer),
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            sliding_window=None,
            tie_word_embeddings=True,  # the output layer reads tokens as the input embeds them: copying comes cheap
            rope_theta=10000.0,
            **{**MODEL_SHAPE, **(shape or {})},
        )
        model = MistralForCausalLM(config).to(device)
    seq_len = min(PRETRAIN_SEQ_LEN, config.max_position_embeddings)
    rows = pack(tokenizer, documents, seq_len, rng)  # (N, T)
    drills = round(batch_size * copy_share)
    vocab = drill_vocabulary(tokenizer)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01, betas=(0.9, 0.95))
    model.train()
    started = time.perf_counter()
    losses: list[float] = []
    bar = tqdm(range(steps), desc="pretrain base", disable=not progress)
    for step in bar:
        index = torch.tensor([rng.randrange(len(rows)) for _ in range(batch_size - drills)], dtype=torch.long)
        batch, labels = rows[index], rows[index]  # (B, T)
        if drills:
            drill_ids, drill_labels = zip(*(copy_drill(tokenizer, seq_len, rng, vocab) for _ in range(drills)))
            batch = torch.cat([batch, torch.tensor(drill_ids)])
            labels = torch.cat([labels, torch.tensor(drill_labels)])
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=batch.to(device), labels=labels.to(device)).loss
        losses.append(optimize(optimizer, model.parameters(), loss, lr_at(step, steps, learning_rate, warmup=50)))
        if step % 10 == 0:
            bar.set_postfix(loss=f"{sum(losses[-10:]) / len(losses[-10:]):.3f}")
    model.eval()
    model.to("cpu", torch.float16).save_pretrained(out_dir, safe_serialization=True)
    tail = losses[-50:]
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "rows": len(rows),
        "steps": steps,
        "final_loss": sum(tail) / len(tail),
        "seconds": time.perf_counter() - started,
        "bf16": bf16,
        "learning_rate": learning_rate,
        "copy_share": copy_share,
    }


def refresh_examples(catalog_path: str | Path, n: int = 3, seed: int = 0) -> int:
    """Rewrite each task's example chips in the catalog as its miniature's first `n` test examples.

    The chips are what a visitor clicks first, so they are test examples (never trained
    on) with the answer the miniature's rule gives; a rebuilt demo is held to them by
    tests/test_demo_adapters.py. Only the `examples:` blocks change; the rest of the
    file (comments, templates) is kept as written. Returns the number of tasks rewritten.
    """
    from lora_land.miniatures import make_split

    path = Path(catalog_path)
    lines = path.read_text(encoding="utf-8").split("\n")
    out: list[str] = []
    task = None
    rewritten = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("  ") and not line.startswith("   ") and line.rstrip().endswith(":") and " " not in line.strip():
            task = line.strip()[:-1]
        if line == "    examples:" and task is not None:
            out.append(line)
            for example in make_split(task, "test", n, seed=seed):
                for j, (key, value) in enumerate({**example.fields, "answer": example.target}.items()):
                    out.append(f"      {'- ' if j == 0 else '  '}{key}: {json.dumps(value, ensure_ascii=False)}")
            i += 1
            while i < len(lines) and lines[i].startswith("      "):
                i += 1
            rewritten += 1
            continue
        out.append(line)
        i += 1
    path.write_text("\n".join(out), encoding="utf-8")
    return rewritten


def build_demo(
    catalog_path: str | Path = "adapters.yaml",
    profile: str = "demo",
    pretrain_steps: int = 1200,
    step_scale: float = 1.0,
    tasks: list[str] | None = None,
    skip_base: bool = False,
    seed: int = 0,
    progress: bool = True,
    shape: dict | None = None,
    device: str = "cpu",
    pretrain_batch: int = 8,
    documents_per_task: int = 2000,
    eval_examples: int | None = None,
    reading: str | Path | None = None,
    bf16: bool = False,
    copy_share: float = COPY_SHARE,
    continue_base: bool = False,
    pretrain_lr: float = 3e-3,
) -> dict:
    """Rebuild the demo profile's base and adapters (and evaluate them); returns a report.

    `continue_base` goes on pretraining the profile's base (its tokenizer and shape kept)
    for `pretrain_steps` more steps instead of starting a fresh one; the report keeps the
    earlier pretraining as the new one's `continued_from`.

    Everything trains on `device` ("cuda" builds a larger `shape` in minutes; the files
    written are the same kind: a float16 base and PEFT adapters that the CPU serves).
    Training is deterministic on either device, but a GPU build does not reproduce a CPU
    build bit for bit.
    """
    from dataclasses import replace

    from lora_land.evaluate import TEST_EXAMPLES, evaluate, write_reports
    from lora_land.train import train_adapter

    if device.startswith("cuda"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # what deterministic cuBLAS needs
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    catalog = load_catalog(catalog_path)
    root = catalog.path.parent
    prof = catalog.profile(profile)
    base_dir = Path(prof.base)
    report_path = base_dir.parent / "build.json"
    # a partial rebuild (--skip-base, --tasks) keeps what the last report says of the rest
    report: dict = json.loads(report_path.read_text()) if report_path.exists() else {}
    report.update(profile=profile, adapters=report.get("adapters", {}))
    started = time.perf_counter()

    if not skip_base:
        if continue_base and not (base_dir / "config.json").exists():
            raise FileNotFoundError(f"{base_dir}: no base to go on pretraining (build one without --continue-base)")
        base_dir.mkdir(parents=True, exist_ok=True)
        dictionary = reading_documents(reading) if reading else []  # a wrong folder fails before any work
        documents = pretraining_documents(catalog, documents_per_task, seed)
        if continue_base:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(base_dir)
            earlier = report.get("base")
        else:
            corpus = tokenizer_corpus(catalog, 400, seed) + [text for text, _ in dictionary]
            tokenizer = build_tokenizer(corpus, base_dir)
            report["tokenizer"] = {"vocab_size": len(tokenizer)}
        report["base"] = pretrain_base(
            tokenizer, documents + dictionary, base_dir, pretrain_steps, batch_size=pretrain_batch,
            learning_rate=pretrain_lr, seed=seed, progress=progress, shape=shape, device=device, bf16=bf16,
            copy_share=copy_share, continue_from=base_dir if continue_base else None,
        )
        report["base"].update(device=device, batch_size=pretrain_batch,
                              documents_per_task=documents_per_task, dictionary_entries=len(dictionary))
        config = json.loads((base_dir / "config.json").read_text())  # the shape as saved, continued or fresh
        report["base"].update(shape={k: config[k] for k in MODEL_SHAPE})
        if continue_base:
            report["base"].update(continued_from=earlier)
        print(f"base: {json.dumps(report['base'])}", flush=True)

    for key in tasks or list(catalog.tasks):
        task = catalog.task(key)
        source = task.adapters[profile]
        recipe = replace(source.train, steps=max(1, math.ceil(source.train.steps * step_scale)))
        summary = train_adapter(task, prof, source.source, recipe=recipe, seed=seed, progress=progress, device=device,
                                catalog_root=root)
        summary["out_dir"] = os.path.relpath(summary["out_dir"], root)
        report["adapters"][key] = summary
        print(f"adapter {key}: loss {summary['final_loss']:.3f} in {summary['seconds']:.0f}s", flush=True)

    if not tasks:
        refresh_examples(catalog.path)
        catalog = load_catalog(catalog.path)
    # A new or further-pretrained base with only some adapters retrained: the others were trained on another
    # base (of another shape, perhaps), so only the new ones are evaluated.
    evaluated = tasks if tasks and not skip_base else None
    results = evaluate(catalog, profile, tasks=evaluated, n=eval_examples or TEST_EXAMPLES, progress=progress,
                       device=device)
    written = write_reports(results, root / "docs" / "eval", profile)
    report["eval"] = {k: os.path.relpath(v, root) if isinstance(v, str) else v for k, v in written.items()}
    elapsed = time.perf_counter() - started
    report["seconds" if not skip_base and not tasks else "partial_rebuild_seconds"] = elapsed
    report_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return {**report, "elapsed": elapsed}
