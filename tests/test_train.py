"""Training smoke runs on a tiny random Mistral model written to tmp_path."""

import json

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer, MistralConfig, MistralForCausalLM

from lora_land.catalog import Profile, Task, AdapterSource, TrainRecipe
from lora_land.demo import build_tokenizer
from lora_land.train import collate, encode, read_examples_file, train_adapter

SENTENCES = ["a fine and warm film", "a dull and cold film", "the cast is great", "the plot is awful"]
TASK = Task(
    key="glue_sst2",
    name="Sentiment Detection (SST2)",
    category="Sentiment Detection",
    description="Binary sentiment detection",
    metric="binary_accuracy_flex",
    output="number",
    max_new_tokens=4,
    fields=("sentence",),
    template='Given the following sentence:\n\n"{sentence}"\n\nLabel: ',
    examples=tuple({"sentence": s} for s in SENTENCES[:3]),
    adapters={"tiny": AdapterSource(source=None, unavailable="trained by the test")},
)


@pytest.fixture(scope="module")
def tiny_profile(tmp_path_factory) -> Profile:
    base = tmp_path_factory.mktemp("tiny-base")
    corpus = [TASK.render({"sentence": s}) + label for s, label in zip(SENTENCES, "1010")] * 20
    tokenizer = build_tokenizer(corpus, base, vocab_size=400)
    torch.manual_seed(0)
    config = MistralConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    MistralForCausalLM(config).save_pretrained(base)
    return Profile(name="tiny", base=str(base), device="cpu", dtype="float32", quantize=None)


@pytest.fixture()
def data_file(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"sentence": s, "target": t}) + "\n" for s, t in zip(SENTENCES, "1010")))
    return path


def test_tokenizer_round_trips_any_text_and_prepends_bos(tiny_profile):
    tokenizer = AutoTokenizer.from_pretrained(tiny_profile.base)
    text = "Ünïcode, emoji 🎉 and\ttabs — still fine"
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.bos_token_id
    assert tokenizer.decode(ids, skip_special_tokens=True) == text


def test_collate_aligns_answers_at_the_end(tiny_profile):
    tokenizer = AutoTokenizer.from_pretrained(tiny_profile.base)
    pairs = encode(tokenizer, TASK, [({"sentence": "a fine film"}, "1"), ({"sentence": "the plot is awful and dull"}, "0 0")])
    batch = collate(pairs, tokenizer.pad_token_id)
    k = batch["answer_mask"].shape[1]
    for row, pair in enumerate(pairs):
        answer = batch["input_ids"][row, -k:][batch["answer_mask"][row]].tolist()
        assert answer == pair.answer and answer[-1] == tokenizer.eos_token_id
        assert batch["attention_mask"][row].sum() == len(pair.prompt) + len(pair.answer)
        assert batch["position_ids"][row, -1] == len(pair.prompt) + len(pair.answer) - 1


def test_training_writes_an_adapter_plain_peft_loads(tiny_profile, data_file, tmp_path):
    examples = read_examples_file(data_file, TASK)
    recipe = TrainRecipe(rank=4, alpha=8, targets=("q_proj", "v_proj", "down_proj"), steps=30, batch_size=4, learning_rate=3e-2)
    out = tmp_path / "adapter"
    summary = train_adapter(TASK, tiny_profile, out, examples=examples, recipe=recipe, progress=False)
    assert (out / "adapter_config.json").exists() and (out / "adapter_model.safetensors").exists()
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["r"] == 4 and sorted(config["target_modules"]) == ["down_proj", "q_proj", "v_proj"]
    assert summary["final_loss"] < summary["first_loss"] - 0.3

    tokenizer = AutoTokenizer.from_pretrained(tiny_profile.base)
    enc = tokenizer(TASK.render({"sentence": SENTENCES[0]}), return_tensors="pt")
    base = AutoModelForCausalLM.from_pretrained(tiny_profile.base)
    with torch.no_grad():
        before = base(**enc).logits
        after = PeftModel.from_pretrained(base, out)(**enc).logits
    answer = tokenizer("1", add_special_tokens=False)["input_ids"][0]
    # the adapter raised the probability of the right answer after the prompt
    assert after[0, -1].log_softmax(-1)[answer] > before[0, -1].log_softmax(-1)[answer] + 0.3


def test_training_on_an_nf4_base(tiny_profile, data_file, tmp_path):
    examples = read_examples_file(data_file, TASK)
    recipe = TrainRecipe(rank=4, alpha=8, targets=("q_proj", "k_proj", "v_proj", "o_proj"), steps=3, batch_size=2)
    out = tmp_path / "qlora"
    train_adapter(TASK, tiny_profile, out, examples=examples, recipe=recipe, quantize="nf4", progress=False)
    base = AutoModelForCausalLM.from_pretrained(tiny_profile.base)
    model = PeftModel.from_pretrained(base, out)
    assert any("lora_A" in name for name, _ in model.named_parameters())


def test_examples_file_must_have_the_fields(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,target\nhello,1\n")
    with pytest.raises(ValueError, match="row 1 lacks column\\(s\\) \\['sentence'\\]"):
        read_examples_file(path, TASK)
    with pytest.raises(ValueError, match="must be .jsonl or .csv"):
        read_examples_file(tmp_path / "x.txt", TASK)


def test_train_command_reads_the_catalog_and_a_data_file(tiny_profile, data_file, tmp_path, capsys, monkeypatch):
    from lora_land.__main__ import main

    (tmp_path / "work").mkdir()
    catalog = tmp_path / "adapters.yaml"
    catalog.write_text(
        "profiles:\n"
        f"  tiny: {{base: {tiny_profile.base}, device: cpu, dtype: float32}}\n"
        "tasks:\n"
        "  glue_sst2:\n"
        "    name: Sentiment\n    category: Sentiment Detection\n    description: Binary sentiment\n"
        "    metric: binary_accuracy_flex\n    output: number\n    max_new_tokens: 2\n"
        "    fields: [sentence]\n"
        "    template: \"Sentence: {sentence}\\nLabel: \"\n"
        "    examples: [{sentence: a}, {sentence: b}, {sentence: c}]\n"
        "    adapters:\n"
        "      tiny: {source: ./adapters/glue_sst2, train: {rank: 2, alpha: 4, targets: attention, steps: 2, batch_size: 2}}\n"
    )
    monkeypatch.chdir(tmp_path / "work")
    train = ["--config", str(catalog), "train", "--task", "glue_sst2", "--profile", "tiny", "--data", str(data_file)]
    assert main([*train, "--rank", "3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 2 and summary["recipe"]["rank"] == 3
    (made,) = (tmp_path / "work" / "adapters").iterdir()  # never the catalog's own: adapters/<task>-<time>
    assert made.name.startswith("glue_sst2-") and summary["out_dir"] == f"adapters/{made.name}"
    config = json.loads((made / "adapter_config.json").read_text())
    assert config["r"] == 3 and config["lora_alpha"] == 4
    assert not (tmp_path / "adapters" / "glue_sst2").exists()

    # --targets takes the catalog's presets or module names; a name the model lacks is one clear line
    assert main([*train, "--targets", "all-linear", "--out", str(tmp_path / "linear")]) == 0
    assert set(json.loads(capsys.readouterr().out)["recipe"]["targets"]) >= {"gate_proj", "down_proj", "q_proj"}
    assert main([*train, "--targets", "q_proj,v_proj", "--out", str(tmp_path / "qv")]) == 0
    assert json.loads(capsys.readouterr().out)["recipe"]["targets"] == ["q_proj", "v_proj"]
    assert main([*train, "--targets", "q_proj,vproj", "--out", str(tmp_path / "typo")]) == 2
    err = capsys.readouterr().err
    assert "--targets 'q_proj,vproj'" in err and "all-linear" in err and "Traceback" not in err
    assert not (tmp_path / "typo").exists()

    assert main([*train, "--out", str(tmp_path / "adapters" / "glue_sst2")]) == 2
    assert "holds the catalog's glue_sst2 (tiny) adapter" in capsys.readouterr().err
    assert not (tmp_path / "adapters" / "glue_sst2").exists()
    assert main([*train, "--overwrite"]) == 0
    assert (tmp_path / "adapters" / "glue_sst2" / "adapter_config.json").is_file()


def test_the_model_card_names_the_base_as_the_config_does_not_by_the_builders_path(tiny_profile, data_file,
                                                                                    tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(tiny_profile.base).parent)  # a base inside the working folder is named relative to it
    examples = read_examples_file(data_file, TASK)
    recipe = TrainRecipe(rank=2, alpha=4, targets=("q_proj", "v_proj"), steps=1, batch_size=2)
    train_adapter(TASK, tiny_profile, tmp_path / "a", examples=examples, recipe=recipe, progress=False)
    card = (tmp_path / "a" / "README.md").read_text()
    named = json.loads((tmp_path / "a" / "adapter_config.json").read_text())["base_model_name_or_path"]
    assert not Path(named).is_absolute() and f"base_model: {named}" in card and tiny_profile.base not in card


def test_the_committed_adapters_hold_no_builders_path():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "models" / "demo" / "adapters"
    for card in root.glob("*/README.md"):
        text = card.read_text()
        assert "base_model: models/demo/base" in text and "/work/" not in text and "/root/" not in text, card


def test_training_is_deterministic(tiny_profile, data_file, tmp_path):
    from safetensors.torch import load_file

    examples = read_examples_file(data_file, TASK)
    recipe = TrainRecipe(rank=2, alpha=4, targets=("q_proj", "v_proj"), steps=5, batch_size=2)
    for name in ("first", "second"):
        train_adapter(TASK, tiny_profile, tmp_path / name, examples=examples, recipe=recipe, seed=7, progress=False)
    first, second = (load_file(tmp_path / n / "adapter_model.safetensors") for n in ("first", "second"))
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)
