"""The Mistral-7B rehearsal: Mistral-7B-v0.1's widths, its SentencePiece tokenizer, LoRA Land-shaped
adapters by hub id, NF4 and bfloat16, the engine and the app, all on the CPU and offline."""

from __future__ import annotations

import contextlib
import sqlite3
import time

import openai
import pytest
import sentencepiece
import torch
from gradio_client import Client
from peft import PeftModel

from conftest import ROOT, start_app
from lora_land.catalog import load_catalog
from lora_land.engine import Engine, PromptTooLong
from lora_land.loading import load_base_model
from lora_land.rehearsal import BASE_ID, MISTRAL_7B, OTHER_SHAPES, mistral_tokenizer_model
from lora_land.scheduler import Detokenizer

CATALOG = load_catalog(ROOT / "adapters.yaml")
NEW = 5  # tokens per answer: each step at 4096 wide is slow on a CPU
TEXTS = [
    "Hello world",
    " leading space",
    "   three leading spaces and  two  inside",
    "line one\nline two\n\nafter a blank line\n",
    "tabs\tand\r\nCRLF",
    "emoji 🛬🤖 and a family 👨‍👩‍👧",
    "中文的句子和日本語のテキスト",
    "naïve café, Ærø, Ångström, ﬁ ligature",
    "byte fallback: \u0f04\u0f05 \U0001d54f\U0001d552",  # pieces the vocabulary lacks come out as <0x..> bytes
    "x = [1, 2, 3]  # a comment\n    return x",
]


def mixed_rows(engine: Engine) -> tuple[list[str], list[str]]:
    """Every adapter the rehearsal made (25 LoRA Land-shaped, two of other shapes) and three base rows."""
    names = ["base", *engine.adapters(), "base", "base"]
    tasks = list(CATALOG.tasks.values())
    # the examples' own text, not whole templates: prefill at 4096 wide is what costs time on a CPU
    texts = ["\n".join(tasks[i % len(tasks)].examples[i % 3].values()) for i in range(len(names))]
    return [" ".join(t.split(" ")[:24]) for t in texts], names


@pytest.fixture(scope="module", params=["rehearsal", "rehearsal-bf16"])
def profile(request, rehearsal):
    return load_catalog(rehearsal / "adapters.yaml").profile(request.param)


@pytest.fixture(scope="module")
def engine(profile, rehearsal):
    with Engine.from_config(rehearsal / "adapters.yaml", profile.name, max_adapters=27) as e:
        e.add_adapter("webnlg", str(rehearsal / "adapters" / "webnlg"))  # no published adapter: a local path
        for name in OTHER_SHAPES:
            e.add_adapter(name, str(rehearsal / "adapters" / name))
        yield e


def test_the_fixture_has_mistral_7b_shapes_and_loads_by_hub_id(rehearsal, engine, profile):
    config = engine.hf_model.config
    for key in ("hidden_size", "num_attention_heads", "num_key_value_heads", "intermediate_size", "vocab_size",
                "sliding_window", "tie_word_embeddings"):
        assert getattr(config, key) == MISTRAL_7B[key], key
    assert config.rope_parameters["rope_theta"] == MISTRAL_7B["rope_theta"] and config.num_hidden_layers == 2
    assert engine.base_name == BASE_ID and engine.max_context == 4096  # the sliding window bounds the context
    assert engine.hf_model.lm_head.weight.data_ptr() != engine.hf_model.model.embed_tokens.weight.data_ptr()
    linear = type(engine.hf_model.model.layers[0].mlp.up_proj).__name__
    assert linear == ("Linear4bit" if profile.quantize == "nf4" else "Linear")
    assert len(engine.adapters()) == 27 and list(engine.refused) == []
    info = engine.adapter_info("glue_sst2")
    assert (info.rank, info.targets, info.source) == (8, ("q_proj", "v_proj"), "predibase/glue_sst2")
    assert engine.adapter_info("all-linear-r16").rank == 16


def test_the_catalogs_webnlg_has_no_published_adapter(rehearsal):
    with Engine.from_config(rehearsal / "adapters.yaml", "rehearsal-bf16", tasks=["webnlg"]) as e:
        assert e.adapters() == [] and "webnlg" in e.refused


def test_the_tokenizer_is_mistrals_sentencepiece(engine):
    tok = engine.tokenizer
    sp = sentencepiece.SentencePieceProcessor(model_file=str(mistral_tokenizer_model()))
    assert len(tok) == sp.get_piece_size() == 32000
    assert (tok.bos_token, tok.bos_token_id, tok.eos_token, tok.eos_token_id) == ("<s>", 1, "</s>", 2)
    assert tok.pad_token_id == tok.eos_token_id  # Mistral publishes no pad token
    for text in TEXTS:
        ids = tok(text)["input_ids"]
        assert ids == [sp.bos_id(), *sp.encode(text)], text  # BOS once, then SentencePiece's own pieces
        assert tok.decode(ids, skip_special_tokens=True) == sp.decode(ids[1:]), text
        assert engine.count_tokens(text) == len(ids)
    assert any(p.startswith("<0x") for p in tok.convert_ids_to_tokens(tok(TEXTS[8])["input_ids"]))


@pytest.mark.parametrize("text", TEXTS)
def test_streamed_pieces_add_up_to_the_text(engine, text):
    """Token by token, as the engine streams an answer: no half characters, no lost spaces."""
    ids = engine.tokenizer(text, add_special_tokens=False)["input_ids"]
    detok = Detokenizer(engine.tokenizer)
    pieces = [detok.push(i) for i in ids]
    pieces.append(detok.flush())
    assert "".join(pieces) == engine.tokenizer.decode(ids, skip_special_tokens=True)
    assert "".join(pieces).strip() == text.strip()  # SentencePiece drops only the first piece's space
    assert not any("\ufffd" in p for p in pieces)
    words = text.split()
    assert "".join(pieces).split() == words  # every word keeps the space before it


def test_mixed_batch_rows_equal_peft_alone(engine, profile):
    """27 adapters and 3 base rows in one batch; each row's tokens equal PEFT's with that prompt and adapter alone.

    bfloat16 logits are coarse (1/32 apart near 5), and a model with random weights has no
    clear favourite, so two tokens can tie exactly; a row may part from PEFT only at a
    step where PEFT's own logits put the engine's token within TIE of its choice.
    """
    TIE = 0.1
    prompts, names = mixed_rows(engine)
    handles = engine.submit_group([engine.make_request(p, n, max_new_tokens=NEW, ignore_eos=True)
                                   for p, n in zip(prompts, names)])
    got = [h.result().token_ids for h in handles]

    sources = {n: engine.bank.host[n].source for n in engine.adapters()}
    peft = PeftModel.from_pretrained(load_base_model(profile), sources[names[1]], adapter_name=names[1])
    for name in engine.adapters()[1:]:
        peft.load_adapter(sources[name], adapter_name=name)
    peft.eval()
    tokenizer, equal = engine.tokenizer, 0
    for prompt, name, tokens in zip(prompts, names, got):
        ids = tokenizer(prompt, return_tensors="pt")
        with torch.inference_mode(), contextlib.ExitStack() as stack:
            if name == "base":
                stack.enter_context(peft.disable_adapter())
            else:
                peft.set_adapter(name)
            out = peft.generate(**ids, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False, pad_token_id=2,
                                output_logits=True, return_dict_in_generate=True)
        expected = out.sequences[0, ids["input_ids"].shape[1]:].tolist()
        parted = next((k for k, (a, b) in enumerate(zip(tokens, expected)) if a != b), None)
        if parted is None:
            assert list(tokens) == expected, name
            equal += 1
            continue
        logits = out.logits[parted][0].float()
        assert logits[tokens[parted]] >= logits.max() - TIE, (name, parted, tokens, expected)
    assert equal >= len(names) * 2 // 3, f"only {equal} of {len(names)} rows equal PEFT all the way"
    assert len({tuple(t) for t in got[1:-2]}) > 20  # the adapters do change the answers


def test_stop_strings_never_leak_and_the_stream_is_the_text(engine):
    prompt = CATALOG.task("conllpp").render(CATALOG.task("conllpp").examples[0])
    free = engine.generate([prompt], ["conllpp"], max_new_tokens=8, ignore_eos=True)[0]
    stop = free[len(free) // 2: len(free) // 2 + 2]
    assert stop.strip()
    handle = engine.submit(prompt, "conllpp", max_new_tokens=8, ignore_eos=True, stop=[stop])
    pieces = list(handle)
    done = handle.result()
    assert done.finish_reason == "stop" and stop not in done.text
    assert "".join(pieces) == done.text == free[: free.find(stop)]


def test_bad_input_is_refused_before_anything_runs(engine):
    with pytest.raises(PromptTooLong, match="4096"):
        engine.submit("word " * 5000, "glue_sst2")
    assert engine.stats()["running"] == 0


@pytest.fixture(scope="module")
def rehearsal_app(rehearsal, tmp_path_factory):
    """`python app.py --profile mistral-7b --device cpu`: the shipped catalog, the hub ids from the cache."""
    server = start_app(tmp_path_factory.mktemp("app"), "--profile", "mistral-7b", "--device", "cpu",
                       env={"HF_HUB_CACHE": str(rehearsal / "hub"), "HF_HUB_OFFLINE": "1"})
    yield server
    server.stop()


def test_the_app_compares_and_streams_chat_on_the_mistral_7b_profile(rehearsal_app):
    health = rehearsal_app.health()
    assert (health["status"], health["model"], health["adapters"]) == ("ok", BASE_ID, 24)
    page = Client(rehearsal_app.url, verbose=False)
    page.predict("glue_sst2", "a  gripping, wonderful film 🎬", "", "", NEW, 0, 1, api_name="/compare")

    client = openai.OpenAI(base_url=f"{rehearsal_app.url}/v1", api_key="unused", max_retries=0)
    stream = client.chat.completions.create(model="conllpp", stream=True, max_tokens=NEW,
                                            messages=[{"role": "user", "content": "Ünal flew to 東京 with Siemens ."}])
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    def logged():
        conn = sqlite3.connect(rehearsal_app.db)
        try:
            return conn.execute("select kind, adapter, status, output, base_output, tokens_out "
                                "from generations order by id").fetchall()
        finally:
            conn.close()

    for _ in range(100):  # the row completes just after the last chunk is sent
        if [r[2] for r in logged()] == ["complete", "complete"]:
            break
        time.sleep(0.1)
    (kind1, adapter1, status1, out1, base1, n1), (kind2, adapter2, status2, out2, _, _) = logged()
    assert (kind1, adapter1, status1, n1) == ("compare", "glue_sst2", "complete", NEW) and out1 and base1
    assert (kind2, adapter2, status2, out2) == ("chat", "conllpp", "complete", streamed)
    log = rehearsal_app.log.read_text()
    assert "memory plan on cpu: key/value cache 32 rows x 4096 positions" in log and "Traceback" not in log
