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
                        documents_per_task=3, eval_examples=2, progress=False)
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


def test_the_shape_option_names_what_it_takes():
    parser = build_parser()
    args = parser.parse_args(["build-demo", "--device", "cuda", "--shape", "hidden_size=256,num_hidden_layers=6"])
    assert args.shape == {"hidden_size": 256, "num_hidden_layers": 6} and args.device == "cuda"
    with pytest.raises(SystemExit):
        parser.parse_args(["build-demo", "--shape", "hidden=256"])
