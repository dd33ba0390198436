"""The engine on the committed demo: every row equals PEFT alone, whatever it is batched with."""

import shutil
import threading
import time

import pytest
import torch
from peft import PeftModel

from lora_land.catalog import load_catalog
from lora_land.engine import AdapterError, Engine, EngineBusy, InvalidRequest, Limits, PromptTooLong, UnknownAdapter
from lora_land.evaluate import generate as peft_generate
from lora_land.loading import load_base_model, load_tokenizer
from lora_land.miniatures import make_split
from lora_land.scheduler import Detokenizer, stop_hold

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = load_catalog(ROOT / "adapters.yaml")
TASKS = sorted(CATALOG.tasks)
NEW = 24  # tokens per answer in the equivalence tests


def prompt(key: str, i: int = 0) -> str:
    return CATALOG.task(key).render(make_split(key, "test", i + 1)[i].fields)


@pytest.fixture(scope="module")
def engine():
    with Engine.from_config(ROOT / "adapters.yaml", "demo") as e:
        yield e


@pytest.fixture(scope="module")
def peft():
    """The correctness reference: PEFT, one prompt at a time, only that adapter active."""
    prof = CATALOG.profile("demo")
    tokenizer = load_tokenizer(prof)
    model = PeftModel.from_pretrained(load_base_model(prof), CATALOG.task(TASKS[0]).adapters["demo"].source,
                                      adapter_name=TASKS[0])
    for key in TASKS[1:]:
        model.load_adapter(CATALOG.task(key).adapters["demo"].source, adapter_name=key)
    model.eval()

    def answer(text: str, adapter: str, max_new_tokens: int = NEW) -> str:
        if adapter == "base":
            with model.disable_adapter():
                return peft_generate(model, tokenizer, [text], max_new_tokens)[0]
        model.set_adapter(adapter)
        return peft_generate(model, tokenizer, [text], max_new_tokens)[0]

    return answer


def test_a_batch_of_all_25_adapters_and_the_base_matches_peft(engine, peft):
    prompts = [prompt(k) for k in TASKS] + [prompt("glue_sst2"), prompt("wikisql")]
    adapters = TASKS + ["base", "base"]
    got = engine.generate(prompts, adapters, max_new_tokens=NEW)
    for text, adapter, answer in zip(prompts, adapters, got):
        assert answer == peft(text, adapter), adapter


def test_rows_joining_mid_answer_match_peft(engine, peft):
    first = engine.submit(prompt("tldr_content_gen"), "tldr_content_gen", max_new_tokens=40)
    pieces = iter(first)
    head = next(pieces) + next(pieces)  # the first row is mid-answer
    joiners = [(prompt(k, 1), k) for k in ["conllpp", "e2e_nlg", "glue_mnli", "magicoder"]] + [(prompt("drop", 1), "base")]
    handles = [engine.submit(p, a, max_new_tokens=NEW) for p, a in joiners]
    head += "".join(pieces)
    assert head == first.result().text == peft(prompt("tldr_content_gen"), "tldr_content_gen", 40)
    for (p, a), h in zip(joiners, handles):
        assert h.result().text == peft(p, a)


def test_compare_pairs_the_adapter_with_the_base(engine, peft):
    text = prompt("glue_stsb", 2)
    tuned, base = engine.compare(text, "glue_stsb", max_new_tokens=NEW)
    t, b = tuned.result(), base.result()
    assert (t.adapter, b.adapter) == ("glue_stsb", "base")
    assert t.text == peft(text, "glue_stsb") and b.text == peft(text, "base")
    assert t.tokens_in == b.tokens_in and t.time_to_first_token is not None


def test_the_compiled_decode_step_matches_peft(peft):
    """Compiled (`compile=True`): rows padded to a bucket, each reading its own entry of stacks of fixed shape.

    Five adapters of ranks 4 to 16 (one on attention only) share three device slots, so
    they swap in and out between steps, and two base rows run beside them.
    """
    from torch._dynamo.utils import counters

    keys = ["glue_sst2", "conllpp", "glue_qqp", "tldr_headline_gen", "magicoder"]
    graphs = counters["stats"]["unique_graphs"]
    with Engine.from_config(ROOT / "adapters.yaml", "demo", tasks=keys, max_adapters=3, compile=True) as e:
        prompts = [prompt(k) for k in keys] + [prompt("drop"), prompt("wikisql")]
        adapters = keys + ["base", "base"]
        got = e.generate(prompts, adapters, max_new_tokens=12)
        assert e.bank.loads > 3 and counters["stats"]["unique_graphs"] > graphs  # swapped, and ran compiled
    for text, adapter, answer in zip(prompts, adapters, got):
        assert answer == peft(text, adapter, 12), adapter


def test_a_result_carries_its_timings(engine):
    done = engine.submit(prompt("glue_sst2"), "glue_sst2", max_new_tokens=8).result()
    assert done.finish_reason == "eos" and done.tokens_out >= 1 and done.tokens_in > 10
    assert 0 <= done.queue_seconds <= done.time_to_first_token <= done.total_seconds
    assert done.tokens_per_second > 0


def test_token_limit_ends_with_length(engine):
    done = engine.submit(prompt("tldr_content_gen"), "base", max_new_tokens=5, ignore_eos=True).result()
    assert (done.finish_reason, done.tokens_out) == ("length", 5)


def test_stop_strings_end_the_answer_and_never_leak(engine):
    text = prompt("conllpp")
    full = engine.generate([text], ["conllpp"], max_new_tokens=40)[0]
    assert '"organization"' in full
    pieces = list(engine.stream(text, "conllpp", max_new_tokens=40, stop=['"organization"', "never appears"]))
    assert "".join(pieces) == full[: full.index('"organization"')]
    assert not any('"org' in p for p in pieces)


def test_cancel_frees_the_row(engine):
    handle = engine.submit(prompt("tldr_content_gen"), "tldr_content_gen", max_new_tokens=900, ignore_eos=True)
    pieces = iter(handle)
    next(pieces)
    handle.cancel()
    done = handle.result(timeout=30)
    assert done.finish_reason == "cancelled" and done.tokens_out < 900
    deadline = time.time() + 10
    while engine.stats()["running"] and time.time() < deadline:
        time.sleep(0.01)
    assert engine.stats()["running"] == 0
    assert engine.generate([prompt("glue_sst2")], ["glue_sst2"], max_new_tokens=4)  # still serving


def test_closing_a_stream_cancels_its_request(engine):
    stream = engine.stream(prompt("tldr_content_gen"), "base", max_new_tokens=900, ignore_eos=True)
    next(stream)
    stream.close()
    deadline = time.time() + 10
    while engine.stats()["running"] and time.time() < deadline:
        time.sleep(0.01)
    assert engine.stats()["running"] == 0


def test_a_seed_reproduces_sampled_output(engine):
    text = prompt("tldr_headline_gen")
    runs = [engine.submit(text, "base", max_new_tokens=16, temperature=1.0, seed=s).result().text for s in (7, 7, 8, 9)]
    assert runs[0] == runs[1]
    assert len(set(runs)) > 1  # other seeds, other samples
    filtered = engine.submit(text, "base", max_new_tokens=16, temperature=0.7, top_k=5, top_p=0.9, seed=1).result()
    assert filtered.tokens_out > 0


def test_bad_requests_are_refused_before_queueing(engine):
    text = prompt("glue_sst2")
    cases = [
        (UnknownAdapter, dict(prompt=text, adapter="nope"), "no adapter named 'nope'"),
        (InvalidRequest, dict(prompt="   ", adapter="base"), "empty"),
        (InvalidRequest, dict(prompt=text, adapter="base", temperature=-1), "temperature"),
        (InvalidRequest, dict(prompt=text, adapter="base", top_p=0), "top_p"),
        (InvalidRequest, dict(prompt=text, adapter="base", max_new_tokens=0), "max_new_tokens"),
        (InvalidRequest, dict(prompt=text, adapter="base", top_k=1.5), "top_k"),
        (InvalidRequest, dict(prompt=text, adapter="base", seed=-3), "seed"),
        (InvalidRequest, dict(prompt=text, adapter="base", seed=2**64, temperature=1), "seed"),
        (InvalidRequest, dict(prompt=text, adapter="base", stop=[""]), "stop"),
        (InvalidRequest, dict(prompt=text, adapter="base", stop=["x" * 257]), "256 characters"),
        (InvalidRequest, dict(prompt=text, adapter="base", stop=[str(i) for i in range(17)]), "at most 16"),
        (InvalidRequest, dict(prompt=text, adapter="base", best_of=2), "unknown parameter"),
        (PromptTooLong, dict(prompt="word " * 2000, adapter="base"), "exceeds the model's context"),
    ]
    for error, kwargs, says in cases:
        with pytest.raises(error, match=says):
            engine.submit(**kwargs)
    assert engine.stats()["queued"] == 0


def test_the_largest_seed_samples_beside_other_requests(engine):
    """A seed at the top of its range reaches torch's generator; the row beside it is unharmed."""
    beside = engine.submit(prompt("glue_sst2"), "glue_sst2", max_new_tokens=8)
    top = engine.submit(prompt("glue_sst2"), "base", max_new_tokens=8, temperature=1.0, seed=2**63 - 1, ignore_eos=True)
    assert top.result(60).finish_reason == "length" and top.result().tokens_out == 8
    assert beside.result(60).finish_reason in ("eos", "length")


def test_a_bad_adapter_is_refused_while_requests_keep_running(engine, tmp_path):
    running = engine.submit(prompt("e2e_nlg"), "e2e_nlg", max_new_tokens=30)
    good = Path(CATALOG.task("glue_sst2").adapters["demo"].source)
    broken = tmp_path / "broken"
    shutil.copytree(good, broken)
    (broken / "adapter_model.safetensors").write_bytes(b"garbage")
    with pytest.raises(AdapterError, match="corrupt"):
        engine.add_adapter("broken", str(broken))
    with pytest.raises(AdapterError, match="does not exist"):
        engine.add_adapter("missing", str(tmp_path / "nowhere"))
    with pytest.raises(AdapterError, match="already loaded"):
        engine.add_adapter("glue_sst2", str(good))
    assert running.result().finish_reason in {"eos", "length"}
    assert "broken" not in engine.adapters()


def test_add_adapter_while_running(engine, tmp_path):
    running = engine.submit(prompt("viggo"), "viggo", max_new_tokens=30)
    copy = tmp_path / "sst2-copy"
    shutil.copytree(Path(CATALOG.task("glue_sst2").adapters["demo"].source), copy)
    info = engine.add_adapter("sst2-copy", str(copy))
    assert info.rank > 0 and "q_proj" in info.targets
    texts = [prompt("glue_sst2", i) for i in range(3)]
    assert engine.generate(texts, "sst2-copy", max_new_tokens=4) == engine.generate(texts, "glue_sst2", max_new_tokens=4)
    assert running.result().finish_reason in {"eos", "length"}


def test_more_adapters_than_device_slots_swap_in_lru(engine):
    keys = TASKS[:8]
    texts = [prompt(k, 1) for k in keys]
    expected = engine.generate(texts, keys, max_new_tokens=12)
    with Engine.from_config(ROOT / "adapters.yaml", "demo", max_adapters=3, tasks=keys) as small:
        assert small.generate(texts, keys, max_new_tokens=12) == expected
        assert small.stats()["adapter_swaps"] >= 8 and small.stats()["adapters_on_device"] == 3


def test_one_device_slot_serves_adapters_in_turn(engine):
    keys = ["glue_sst2", "glue_cola", "glue_sst2", "dbpedia"]
    texts = [prompt(k) for k in keys]
    expected = engine.generate(texts, keys, max_new_tokens=6)
    with Engine.from_config(ROOT / "adapters.yaml", "demo", max_adapters=1, tasks=sorted(set(keys))) as one:
        handles = [one.submit(t, k, max_new_tokens=6) for t, k in zip(texts, keys)]
        pair = one.compare(texts[1], "glue_cola", max_new_tokens=6)
        assert [h.result(timeout=60).text for h in handles] == expected
        assert pair[0].result(timeout=60).text == expected[1]
        # a group that needs more adapters at once than there are slots could never start: refused
        with pytest.raises(InvalidRequest, match="a group of 2 adapters exceeds the engine's 1 adapter slots"):
            one.submit_group([one.make_request(texts[0], "glue_sst2"), one.make_request(texts[1], "glue_cola")])
        assert one.stats()["queued"] == 0


def test_tokens_in_flight_are_limited():
    text = prompt("glue_sst2")
    with Engine.from_config(ROOT / "adapters.yaml", "demo", tasks=["glue_sst2"]) as probe:
        need = probe.count_tokens(text) + 40
    with Engine.from_config(ROOT / "adapters.yaml", "demo", tasks=["glue_sst2"], limits=Limits(max_tokens=need)) as small:
        first = small.submit(text, "base", max_new_tokens=40, ignore_eos=True)
        second = small.submit(text, "base", max_new_tokens=40, ignore_eos=True)
        a, b = first.result(timeout=60), second.result(timeout=60)
        # the second could only start once the first had left the batch
        assert b.queue_seconds >= a.total_seconds - a.queue_seconds - 0.05
        with pytest.raises(PromptTooLong, match="per batch"):
            small.submit(text, "base", max_new_tokens=41)


def test_a_full_queue_says_busy():
    limits = Limits(max_rows=1, max_queue=2)
    with Engine.from_config(ROOT / "adapters.yaml", "demo", tasks=["glue_sst2"], limits=limits) as small:
        text = prompt("glue_sst2")
        long = [small.submit(text, "base", max_new_tokens=300, ignore_eos=True)]
        while small.stats()["running"] == 0:
            time.sleep(0.01)
        long += [small.submit(text, "base", max_new_tokens=300, ignore_eos=True) for _ in range(2)]
        with pytest.raises(EngineBusy, match="busy"):
            small.submit(text, "glue_sst2")
        for h in long:
            h.cancel()
        assert [h.result(timeout=30).finish_reason for h in long] == ["cancelled"] * 3


def test_many_threads_at_once(engine, peft):
    keys = ["glue_qnli", "covid", "legal", "webnlg", "gsm8k", "hellaswag"]
    results = {}

    def ask(key):
        results[key] = "".join(engine.stream(prompt(key, 2), key, max_new_tokens=NEW))

    threads = [threading.Thread(target=ask, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert {k: results[k] for k in keys} == {k: peft(prompt(k, 2), k) for k in keys}


def test_nf4_base_on_cpu_matches_peft_on_the_same_base():
    prof = CATALOG.profile("demo")
    keys = ["glue_sst2", "conllpp", "gsm8k"]
    texts = [prompt(k) for k in keys]
    with Engine.from_config(ROOT / "adapters.yaml", "demo", quantize="nf4", tasks=keys) as nf4:
        got = nf4.generate(texts + texts[:1], keys + ["base"], max_new_tokens=16)
    tokenizer = load_tokenizer(prof)
    model = PeftModel.from_pretrained(load_base_model(prof, quantize="nf4"), CATALOG.task(keys[0]).adapters["demo"].source,
                                      adapter_name=keys[0])
    for key in keys[1:]:
        model.load_adapter(CATALOG.task(key).adapters["demo"].source, adapter_name=key)
    for text, key, answer in zip(texts, keys, got):
        model.set_adapter(key)
        assert answer == peft_generate(model, tokenizer, [text], 16)[0], key
    with model.disable_adapter():
        assert got[3] == peft_generate(model, tokenizer, texts[:1], 16)[0]


# --- streaming text -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["DecodeStream", "offsets"])
def test_incremental_detokenization_never_breaks_a_character(method):
    tokenizer = load_tokenizer(CATALOG.profile("demo"))
    text = "Zoë said “naïve” 😀 and 東京 — fine ✓"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    detok = Detokenizer(tokenizer)
    if method == "offsets":
        detok.stream = None  # as for a tokenizer without a fast backend
    pieces = [detok.push(i) for i in ids] + [detok.flush()]
    assert not any("\ufffd" in p for p in pieces)
    assert "".join(pieces) == tokenizer.decode(ids) == text


def test_stop_hold():
    assert stop_hold("abc###", ("###END",)) == 3
    assert stop_hold("abc", ("xyz",)) == 0
    assert stop_hold("ab", ("b c", "abq")) == 2


def test_a_llama_model_with_random_adapters_matches_peft(tmp_path):
    """Any Llama/Mistral-family model: a tiny random Llama, adapters of other ranks and targets."""
    import copy

    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = load_tokenizer(CATALOG.profile("demo"))
    tokenizer.padding_side = "left"
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    model = LlamaForCausalLM(config).eval()
    recipes = {"a": (2, ["q_proj", "v_proj"], {}), "b": (8, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                               "up_proj", "down_proj"], {"use_rslora": True})}
    peft = {}
    for name, (r, targets, extra) in recipes.items():
        peft[name] = get_peft_model(copy.deepcopy(model), LoraConfig(r=r, lora_alpha=16, target_modules=targets, **extra))
        for key, p in peft[name].named_parameters():
            if "lora_" in key:
                p.data.normal_(0, 0.3)
        peft[name].save_pretrained(tmp_path / name)
        peft[name].eval()
    engine = Engine(copy.deepcopy(model), tokenizer, base_name="", max_adapters=2)
    with engine:
        for name in recipes:
            engine.add_adapter(name, str(tmp_path / name))
        texts = [prompt("glue_sst2"), prompt("wikisql"), prompt("drop")]
        got = engine.generate(texts * 3, ["a"] * 3 + ["b"] * 3 + ["base"] * 3, max_new_tokens=10, ignore_eos=True)
    for i, text in enumerate(texts * 3):
        reference = peft["a" if i < 3 else "b"] if i < 6 else model
        enc = tokenizer([text], return_tensors="pt")
        with torch.no_grad():
            out = reference.generate(**enc, max_new_tokens=10, min_new_tokens=10, do_sample=False,
                                     pad_token_id=tokenizer.pad_token_id)
        assert got[i] == tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True), i


def test_prefill_groups_prompts_of_similar_length():
    from lora_land.model import length_buckets

    lengths = [400, 12, 390, 15, 100, 14, 95]
    groups = length_buckets(lengths)
    assert sorted(j for g in groups for j in g) == list(range(len(lengths)))  # every prompt once
    assert [sorted(g) for g in groups] == [[0, 2], [4, 6], [1, 3, 5]]
    for g in groups:  # each padded to its longest: at most 25% more than its real tokens
        assert len(g) * max(lengths[j] for j in g) <= 1.25 * sum(lengths[j] for j in g)
    assert length_buckets([7]) == [[0]] and length_buckets([5, 5, 5]) == [[0, 1, 2]]
