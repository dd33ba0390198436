from pathlib import Path

import pytest
import yaml

from lora_land.catalog import CatalogError, load_catalog, template_fields

ROOT = Path(__file__).resolve().parent.parent

GOOD = {
    "profiles": {
        "demo": {"base": "./models/demo/base", "device": "cpu", "dtype": "float32"},
        "mistral-7b": {"base": "mistralai/Mistral-7B-v0.1", "device": "cuda", "dtype": "bfloat16", "quantize": "nf4"},
    },
    "tasks": {
        "glue_sst2": {
            "name": "Sentiment Detection (SST2)",
            "category": "Sentiment Detection",
            "description": "Binary sentiment detection",
            "metric": "binary_accuracy_flex",
            "output": "number",
            "max_new_tokens": 4,
            "fields": ["sentence"],
            "template": 'Given the following sentence:\n\n"{sentence}"\n\nRespond with 0 or 1. {{literal}}',
            "examples": [{"sentence": "a fine film"}, {"sentence": "a dull film"}, {"sentence": "the cast shines"}],
            "adapters": {
                "demo": {"source": "./models/demo/adapters/glue_sst2", "train": {"rank": 4, "targets": "attention"}},
                "mistral-7b": {"source": "predibase/glue_sst2"},
            },
        }
    },
}


def write(tmp_path, data) -> Path:
    path = tmp_path / "adapters.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def broken(tmp_path, mutate) -> str:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    mutate(data)
    with pytest.raises(CatalogError) as err:
        load_catalog(write(tmp_path, data))
    return str(err.value)


def test_project_catalog_has_the_25_tasks_on_every_profile():
    catalog = load_catalog(ROOT / "adapters.yaml")
    assert len(catalog.tasks) == 25
    assert set(catalog.profiles) == {"demo", "mistral-7b", "vllm-demo"}
    assert catalog.profile("mistral-7b").quantize == "nf4"
    served = catalog.profile("vllm-demo")
    assert served.remote and served.adapters_of == "demo" and served.url == "http://127.0.0.1:8000"
    assert all(t.adapters["vllm-demo"] == t.adapters["demo"] for t in catalog.tasks.values())
    for task in catalog.tasks.values():
        assert len(task.examples) >= 3
        for example in task.examples:
            assert task.render(example).strip()
        demo = task.adapters["demo"].source
        assert demo.startswith(str(ROOT / "models" / "demo" / "adapters"))
        hub = task.adapters["mistral-7b"]
        if task.key == "webnlg":
            assert hub.source is None and "no" in hub.unavailable
        else:
            assert hub.source == f"predibase/{task.key}"
    ranks = {t.adapters["demo"].train.rank for t in catalog.tasks.values()}
    targets = {len(t.adapters["demo"].train.targets) for t in catalog.tasks.values()}
    assert ranks == {4, 8, 16} and targets == {4, 7}


@pytest.mark.parametrize("profile, message", [
    ({"backend": "grpc"}, "field 'backend' must be one of"),
    ({"backend": "openai"}, "backend 'openai' needs field 'url'"),
    ({"backend": "openai", "url": "127.0.0.1:8000"}, "backend 'openai' needs field 'url'"),
    ({"url": "http://127.0.0.1:8000"}, "are for backend 'openai'"),
    ({"backend": "openai", "url": "http://h:1", "adapters_of": "nowhere"}, "'adapters_of' must name a local profile"),
])
def test_a_remote_profile_is_checked(tmp_path, profile, message):
    def mutate(data):
        data["profiles"]["served"] = {"base": "./models/demo/base", **profile}
    assert message in broken(tmp_path, mutate)


def test_a_remote_profile_serves_the_named_profiles_adapters(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["profiles"]["served"] = {"base": "./models/demo/base", "backend": "openai", "url": "http://h:8000/",
                                  "adapters_of": "demo", "api_key_env": "SERVER_KEY"}
    catalog = load_catalog(write(tmp_path, data))
    served = catalog.profile("served")
    assert (served.remote, served.url, served.api_key_env) == (True, "http://h:8000", "SERVER_KEY")
    assert catalog.task("glue_sst2").adapters["served"] == catalog.task("glue_sst2").adapters["demo"]
    assert not catalog.profile("demo").remote


def test_good_catalog_loads_into_typed_objects(tmp_path):
    catalog = load_catalog(write(tmp_path, GOOD))
    task = catalog.task("glue_sst2")
    assert task.fields == ("sentence",)
    assert task.render({"sentence": "great"}).endswith("Respond with 0 or 1. {literal}")
    assert task.adapters["demo"].source == str(tmp_path / "models" / "demo" / "adapters" / "glue_sst2")
    assert task.adapters["demo"].train.rank == 4
    assert task.adapters["demo"].train.targets == ("q_proj", "k_proj", "v_proj", "o_proj")
    assert task.adapters["mistral-7b"].source == "predibase/glue_sst2"
    assert catalog.profile("demo").base == str(tmp_path / "models" / "demo" / "base")


def test_render_refuses_missing_and_unknown_fields(tmp_path):
    task = load_catalog(write(tmp_path, GOOD)).task("glue_sst2")
    with pytest.raises(ValueError, match="missing \\['sentence'\\]"):
        task.render({})
    with pytest.raises(ValueError, match="unknown \\['other'\\]"):
        task.render({"sentence": "x", "other": "y"})


def test_missing_field_names_task_and_field(tmp_path):
    message = broken(tmp_path, lambda d: d["tasks"]["glue_sst2"].pop("metric"))
    assert "glue_sst2" in message and "'metric'" in message


def test_template_naming_an_undeclared_field(tmp_path):
    def mutate(d):
        d["tasks"]["glue_sst2"]["template"] = "{sentence} and {premise}"

    message = broken(tmp_path, mutate)
    assert "glue_sst2" in message and "premise" in message


def test_declared_field_the_template_never_uses(tmp_path):
    def mutate(d):
        d["tasks"]["glue_sst2"]["fields"] = ["sentence", "title"]
        for e in d["tasks"]["glue_sst2"]["examples"]:
            e["title"] = "t"

    assert "title" in broken(tmp_path, mutate)


def test_unknown_profile_in_adapters(tmp_path):
    message = broken(tmp_path, lambda d: d["tasks"]["glue_sst2"]["adapters"].update({"llama": {"source": "x/y"}}))
    assert "glue_sst2" in message and "llama" in message


def test_profile_without_adapter_entry(tmp_path):
    message = broken(tmp_path, lambda d: d["tasks"]["glue_sst2"]["adapters"].pop("mistral-7b"))
    assert "glue_sst2" in message and "mistral-7b" in message


def test_unknown_profile_requested(tmp_path):
    catalog = load_catalog(write(tmp_path, GOOD))
    with pytest.raises(CatalogError, match="unknown profile 'llama'"):
        catalog.profile("llama")


def test_duplicate_task_key(tmp_path):
    text = yaml.safe_dump(GOOD, sort_keys=False)
    task_block = text[text.index("  glue_sst2:") :]
    path = tmp_path / "adapters.yaml"
    path.write_text(text + task_block)
    with pytest.raises(CatalogError, match="duplicate key 'glue_sst2'"):
        load_catalog(path)


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("metric", "bleu", "'metric'"),
        ("output", "xml", "'output'"),
        ("max_new_tokens", 0, "'max_new_tokens'"),
        ("max_new_tokens", "many", "'max_new_tokens'"),
        ("examples", [{"sentence": "only one"}], "'examples'"),
        ("template", "{sentence:>10}", "format spec"),
    ],
)
def test_bad_values_name_the_field(tmp_path, key, value, words):
    message = broken(tmp_path, lambda d: d["tasks"]["glue_sst2"].__setitem__(key, value))
    assert "glue_sst2" in message and words in message


def test_example_with_wrong_fields(tmp_path):
    message = broken(tmp_path, lambda d: d["tasks"]["glue_sst2"]["examples"].append({"text": "x"}))
    assert "examples[3]" in message


def test_null_source_needs_a_reason(tmp_path):
    message = broken(tmp_path, lambda d: d["tasks"]["glue_sst2"]["adapters"]["mistral-7b"].update({"source": None}))
    assert "unavailable" in message


def test_bad_profile_settings(tmp_path):
    assert "quantize" in broken(tmp_path, lambda d: d["profiles"]["demo"].update({"quantize": "int3"}))
    assert "dtype" in broken(tmp_path, lambda d: d["profiles"]["demo"].update({"dtype": "float8"}))
    assert "'base'" in broken(tmp_path, lambda d: d["profiles"]["demo"].pop("base"))


def test_bad_train_recipe(tmp_path):
    def mutate(d):
        d["tasks"]["glue_sst2"]["adapters"]["demo"]["train"] = {"rank": -1}

    assert "train.rank" in broken(tmp_path, mutate)


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.yaml")
    path = tmp_path / "bad.yaml"
    path.write_text("profiles: [unclosed")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(path)


def test_template_fields_in_order_of_use():
    assert template_fields("{b} then {a} and {b} {{c}}") == ["b", "a"]


def test_fields_read_as_words_and_classification_answers_say_what_they_mean():
    catalog = load_catalog(Path(__file__).resolve().parent.parent / "adapters.yaml")
    assert [catalog.task("glue_mrpc").field_label(f) for f in ("sentence1", "sentence2")] == ["Sentence 1", "Sentence 2"]
    assert catalog.task("bc5cdr").field_label("tokens_concatenated") == "Text"  # the catalog's own label
    assert catalog.task("e2e_nlg").field_label("meaning_representation") == "Meaning representation"
    assert catalog.task("glue_sst2").explain(" 1") == "positive" and catalog.task("glue_sst2").explain("7") is None
    assert catalog.task("dbpedia").explain("13") == "WrittenWork" and catalog.task("gsm8k").labels == {}
    for task in catalog.tasks.values():  # no field is shown by its bare key
        assert all("_" not in task.field_label(f) for f in task.fields), task.key


def test_field_labels_must_name_declared_fields(tmp_path):
    def mutate(d):
        d["tasks"]["glue_sst2"]["field_labels"] = {"premise": "Premise"}

    assert "field 'field_labels' names undeclared field(s) ['premise']" in broken(tmp_path, mutate)

    def mutate(d):
        d["tasks"]["glue_sst2"]["labels"] = {"0": ""}

    assert "field 'labels' must map answers" in broken(tmp_path, mutate)


def test_an_example_may_carry_its_expected_answer(tmp_path):
    catalog = load_catalog(Path(__file__).resolve().parent.parent / "adapters.yaml")
    sst2 = catalog.task("glue_sst2")
    assert len(sst2.answers) == 3 and sst2.examples[0] == {"sentence": sst2.examples[0]["sentence"]}
    assert sst2.expected({"sentence": " " + sst2.examples[1]["sentence"]}) == sst2.answers[1]
    assert sst2.expected({"sentence": "something else"}) is None

    def mutate(d):
        d["tasks"]["glue_sst2"]["examples"][0]["answer"] = ""

    assert "field 'examples[0].answer' must be non-empty text" in broken(tmp_path, mutate)
