"""`build-demo` end to end at a toy size: tokenizer, base, 25 adapters, chips and evaluation.

The committed demo takes an hour and a half to rebuild on a CPU; this runs the same code
with a one-layer base and one training step per adapter, into a copy of the catalog, so
the build (and its GPU options: another shape, a device) is known to work before anyone
spends that hour.
"""

import json
import shutil
from pathlib import Path

import pytest
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from lora_land.__main__ import build_parser
from lora_land.catalog import load_catalog

ROOT = Path(__file__).resolve().parent.parent
TOY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
       "num_key_value_heads": 1, "max_position_embeddings": 128}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from lora_land.demo import build_demo

    root = tmp_path_factory.mktemp("demo-build")
    shutil.copy(ROOT / "adapters.yaml", root / "adapters.yaml")
    committed = (ROOT / "models" / "demo" / "build.json").read_bytes()
    report = build_demo(root / "adapters.yaml", pretrain_steps=2, step_scale=0.001, shape=TOY, pretrain_batch=2,
                        documents_per_task=3, eval_examples=2, progress=False,
                        reading=write_wordnet(root / "wordnet"), bf16=True)
    assert (ROOT / "models" / "demo" / "build.json").read_bytes() == committed  # the committed demo untouched
    return root, report


def test_the_base_is_written_in_the_shape_asked_for_and_loads_as_a_user_loads_it(built):
    root, report = built
    base = root / "models" / "demo" / "base"
    model = AutoModelForCausalLM.from_pretrained(base)
    tokenizer = AutoTokenizer.from_pretrained(base)
    assert {k: getattr(model.config, k) for k in TOY} == TOY
    assert next(model.parameters()).dtype.is_floating_point and len(tokenizer) == report["tokenizer"]["vocab_size"]
    assert report["base"]["shape"] == TOY and report["base"]["device"] == "cpu" and report["base"]["steps"] == 2
    assert report["base"]["dictionary_entries"] == 8 and report["base"]["bf16"]
    assert json.loads((root / "models" / "demo" / "build.json").read_text())["base"]["shape"] == TOY


def test_every_adapter_is_a_plain_peft_directory_naming_its_base_without_the_builders_path(built):
    root, report = built
    catalog = load_catalog(root / "adapters.yaml")
    assert sorted(report["adapters"]) == sorted(catalog.tasks)
    for key in ("glue_sst2", "wikisql"):
        source = Path(catalog.task(key).adapters["demo"].source)
        config = json.loads((source / "adapter_config.json").read_text())
        assert config["base_model_name_or_path"] == "models/demo/base"
        assert str(root) not in (source / "README.md").read_text()
        model = AutoModelForCausalLM.from_pretrained(root / "models" / "demo" / "base")
        PeftModel.from_pretrained(model, source, adapter_name=key)


def test_the_chips_and_the_evaluation_come_from_the_new_build(built):
    root, report = built
    catalog = load_catalog(root / "adapters.yaml")
    assert all(len(task.examples) == 3 and all(task.answers) for task in catalog.tasks.values())
    assert report["eval"]["adapters_scored"] == len(catalog.tasks)
    assert (root / "docs" / "eval" / "demo.md").read_text().count("\n") == len(catalog.tasks) + 3


def test_the_gpu_build_script_builds_a_new_shape_checks_it_and_packs_it(built, tmp_path):
    """`scripts/gpu-build-demo` as a lent GPU runs it (DEVICE=cpu here): a base of another shape with one adapter,
    evaluated alone (the other 24 were trained on the old base), checked by check-base, packed for the trip back."""
    import os
    import subprocess
    import sys
    import tarfile

    root, _ = built
    repo, out = tmp_path / "repo", tmp_path / "out"
    shutil.copytree(root, repo, ignore=shutil.ignore_patterns("wordnet"))
    shutil.copytree(ROOT / "lora_land", repo / "lora_land", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "scripts", repo / "scripts")
    out.mkdir()
    wider = {**TOY, "hidden_size": 48, "intermediate_size": 96}
    shape = ",".join(f"{k}={v}" for k, v in wider.items())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "OUT": str(out),
           "DEVICE": "cpu", "CHECK_BASE": "1", "CHECK_BASE_ARGS": "--lookup-steps 1 --task-steps 1 --examples 2"}
    done = subprocess.run(["scripts/gpu-build-demo", "--shape", shape, "--pretrain-steps", "1", "--pretrain-batch",
                           "2", "--documents-per-task", "3", "--step-scale", "0.001", "--tasks", "glue_mrpc",
                           "--eval-examples", "1"], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    check = json.loads((out / "check-base.json").read_text())
    assert set(check) == {"base", "copy", "lookup", "lookup_last_word", "task"} and check["task"]["task"] == "glue_mrpc"
    assert (repo / "docs" / "eval" / "demo.md").read_text().count("\n") == 1 + 3  # glue_mrpc's row alone
    packed = b"".join(part.read_bytes() for part in sorted(out.glob("demo.tar.part-*")))
    (tmp_path / "demo.tar").write_bytes(packed)
    with tarfile.open(tmp_path / "demo.tar") as tar:
        config = json.load(tar.extractfile("models/demo/base/config.json"))
        assert "adapters.yaml" in tar.getnames() and "docs/eval/demo.md" in tar.getnames()
    assert {k: config[k] for k in wider} == wider


def test_the_shape_option_names_what_it_takes():
    parser = build_parser()
    args = parser.parse_args(["build-demo", "--device", "cuda", "--shape", "hidden_size=256,num_hidden_layers=6",
                              "--reading", "/usr/share/wordnet", "--bf16"])
    assert args.shape == {"hidden_size": 256, "num_hidden_layers": 6} and args.device == "cuda"
    assert args.reading == "/usr/share/wordnet" and args.bf16
    with pytest.raises(SystemExit):
        parser.parse_args(["build-demo", "--shape", "hidden=256"])


def write_wordnet(folder: Path) -> Path:
    """A tiny WordNet database in its own file format: an indented licence header, then one synset a line."""
    folder.mkdir(parents=True, exist_ok=True)
    header = "  1 This software and database is being provided to you, the LICENSEE, by Princeton University\n"
    files = {
        "noun": "00001740 03 n 01 entity 0 000 | that which is perceived or known to exist\n"
                "08058098 14 n 03 firm 0 house 0 business_firm 0 001 @ 08061042 n 0000 | the members of a business "
                "organization; \"he worked for a brokerage house\"\n"
                "08061042 14 n 02 business 0 concern 0 001 @ 00001740 n 0000 | a commercial or industrial enterprise\n",
        "verb": "01090335 40 v 01 sell 0 001 @ 02244956 v 0000 01 + 08 00 | exchange or deliver for money; "
                "\"He sold his house\"\n",
        "adj": "00227507 00 a 01 best 0 001 ! 00229630 a 0101 | (superlative of `good') having the most positive "
               "qualities\n"
               "00229630 00 a 01 worst 0 002 ! 00227507 a 0101 & 00229978 a 0000 | (superlative of `bad') most "
               "wanting in quality; \"the worst player on the team\"\n"
               "00229978 00 s 01 bottom(p) 0 001 & 00229630 a 0000 | the lowest in rank\n",
        "adv": "00057388 02 r 01 badly 0 000 | in a disadvantageous way\n",
    }
    for part, lines in files.items():
        (folder / f"data.{part}").write_text(header + lines)
    return folder


def test_the_dictionary_reads_as_entries_with_their_kinds_opposites_and_likes(tmp_path):
    from lora_land.demo import reading_documents

    documents = dict(reading_documents(write_wordnet(tmp_path / "wordnet")))
    assert all(documents.values()) and len(documents) == 8  # every entry its own document, ended by EOS
    texts = list(documents)
    assert ('firm, house, business firm (noun): the members of a business organization; "he worked for a '
            'brokerage house"\nA kind of: business') in texts
    assert ("worst (adjective): (superlative of `bad') most wanting in quality; \"the worst player on the team\"\n"
            "Opposite: best\nLike: bottom") in texts
    assert "bottom (adjective): the lowest in rank\nLike: worst" in texts  # a satellite's marker dropped
    assert "sell (verb): exchange or deliver for money; \"He sold his house\"" in texts  # a pointer to no entry
    assert not any("LICENSEE" in text for text in texts)


def test_a_folder_without_wordnet_is_named_in_the_error(tmp_path):
    from lora_land.demo import reading_documents

    with pytest.raises(FileNotFoundError, match="wordnet-base"):
        reading_documents(tmp_path)


def test_build_demo_refuses_a_reading_folder_without_wordnet_before_touching_the_demo(tmp_path, capsys):
    from lora_land.__main__ import main

    committed = (ROOT / "models" / "demo" / "build.json").read_bytes()
    assert main(["build-demo", "--reading", str(tmp_path)]) == 2
    assert "not a WordNet database folder" in capsys.readouterr().err
    assert (ROOT / "models" / "demo" / "build.json").read_bytes() == committed


def test_build_demo_refuses_base_options_with_skip_base_instead_of_ignoring_them(capsys):
    from lora_land.__main__ import main

    committed = (ROOT / "models" / "demo" / "build.json").read_bytes()
    assert main(["build-demo", "--skip-base", "--bf16", "--reading", "/usr/share/wordnet"]) == 2
    err = capsys.readouterr().err
    assert "--reading, --bf16 only shape the base" in err and "--skip-base" in err
    assert main(["build-demo", "--skip-base", "--shape", "hidden_size=256"]) == 2
    assert "--shape only shapes the base" in capsys.readouterr().err
    assert (ROOT / "models" / "demo" / "build.json").read_bytes() == committed


def test_a_copy_drill_is_random_spans_written_twice_and_only_the_second_writing_is_learned():
    import random

    from lora_land.demo import copy_drill

    tokenizer = AutoTokenizer.from_pretrained(ROOT / "models" / "demo" / "base")
    ids, labels = copy_drill(tokenizer, 512, random.Random(0))
    assert len(ids) == len(labels) == 512 and ids[0] == tokenizer.bos_token_id
    assert not set(ids[1:]) & set(tokenizer.all_special_ids)
    at, spans = 1, 0
    while labels[at] == -100 and at < 512:  # a span: its first writing unlabelled, then the same tokens labelled
        start = at
        while labels[at] == -100:
            at += 1
        length = at - start
        second = ids[at : at + length]
        assert second == ids[start : start + len(second)] == labels[at : at + length]
        at += length
        spans += 1
        if at >= 512:
            break
    assert spans >= 6


def test_continue_base_goes_on_pretraining_the_base_and_keeps_its_tokenizer(built):
    import torch

    from lora_land.demo import build_demo

    root, first = built
    base = root / "models" / "demo" / "base"
    vocab = (base / "tokenizer.json").read_bytes()
    before = AutoModelForCausalLM.from_pretrained(base).model.embed_tokens.weight.clone()
    report = build_demo(root / "adapters.yaml", pretrain_steps=3, step_scale=0.001, pretrain_batch=4,
                        documents_per_task=3, eval_examples=1, progress=False, tasks=["glue_sst2"],
                        continue_base=True, copy_share=0.25, pretrain_lr=1e-3)
    assert (base / "tokenizer.json").read_bytes() == vocab
    after = AutoModelForCausalLM.from_pretrained(base)
    assert {k: getattr(after.config, k) for k in TOY} == TOY
    assert not torch.equal(after.model.embed_tokens.weight, before)
    assert report["base"]["steps"] == 3 and report["base"]["copy_share"] == 0.25
    assert report["base"]["learning_rate"] == 1e-3 and report["base"]["shape"] == TOY
    assert report["base"]["continued_from"] == first["base"]


def test_continue_base_without_a_base_is_refused_with_one_line(tmp_path, capsys):
    from lora_land.__main__ import main

    shutil.copy(ROOT / "adapters.yaml", tmp_path / "adapters.yaml")
    assert main(["--config", str(tmp_path / "adapters.yaml"), "build-demo", "--continue-base"]) == 2
    assert "no base to go on pretraining" in capsys.readouterr().err
    assert not (tmp_path / "models").exists()
    assert main(["build-demo", "--continue-base", "--shape", "hidden_size=256"]) == 2
    assert "--continue-base keeps the base's shape" in capsys.readouterr().err
