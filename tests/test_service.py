"""The service: templates, text cleaning, chat prompts, and runs that always complete their row."""

import threading
import time

import pytest

from lora_land.catalog import load_catalog
from lora_land.engine import Engine, Limits
from lora_land.scheduler import EngineBusy, InvalidRequest, PromptTooLong, UnknownAdapter
from lora_land.service import NotReady, Service, clean_text, parse_fields
from lora_land.store import Store

TASKS = ["glue_sst2", "covid", "conllpp"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog("adapters.yaml")


@pytest.fixture(scope="module")
def engine():
    with Engine.from_config("adapters.yaml", "demo", tasks=TASKS) as engine:
        yield engine


@pytest.fixture
def service(catalog, engine, tmp_path):
    return Service(catalog, "demo", Store(tmp_path / "log.db"), engine)


def test_clean_text_keeps_what_people_write_and_drops_what_breaks_things():
    assert clean_text("café 👋 שלום 日本\ttab\nline") == "café 👋 שלום 日本\ttab\nline"
    assert clean_text("a\x00b\x07c\x1bd\x7f") == "abcd"
    assert clean_text("one\r\ntwo\rthree") == "one\ntwo\nthree"
    assert clean_text("cafe\u0301") == "café"  # NFC
    assert clean_text("bad \ud800 half") == "bad \ufffd half"
    with pytest.raises(InvalidRequest):
        clean_text(None)


def test_render_names_the_empty_field(service, catalog):
    example = catalog.tasks["covid"].examples[0]
    prompt, cleaned = service.render("covid", example)
    assert prompt == catalog.tasks["covid"].render(example)
    with pytest.raises(InvalidRequest, match="'Location' is empty"):
        service.render("covid", {**example, "Location": "  \n "})
    with pytest.raises(UnknownAdapter, match="no task named 'nope'"):
        service.render("nope", {})


def test_chat_messages_become_fields(catalog):
    covid = catalog.tasks["covid"]
    fields = parse_fields(covid, "OriginalTweet: stay home\nplease\ntweetat: 03-04-2020\nLocation: NYC")
    assert fields == {"OriginalTweet": "stay home\nplease", "TweetAt": "03-04-2020", "Location": "NYC"}
    with pytest.raises(InvalidRequest, match="missing: TweetAt, Location"):
        parse_fields(covid, "OriginalTweet: stay home")
    assert parse_fields(catalog.tasks["glue_sst2"], "Location: a film") == {"sentence": "Location: a film"}


def test_chat_prompt_applies_the_template_to_each_turn_and_drops_old_turns(service, catalog):
    sst2 = catalog.tasks["glue_sst2"]
    messages = [{"role": "user", "content": "a fine film"}, {"role": "assistant", "content": " 1"},
                {"role": "user", "content": "a dull film"}]
    prompt, dropped = service.chat_prompt("glue_sst2", messages, 4)
    assert dropped == 0
    assert prompt == sst2.render({"sentence": "a fine film"}) + "1\n\n" + sst2.render({"sentence": "a dull film"})
    long = [{"role": "user", "content": "word " * 400}, {"role": "assistant", "content": "1"}] * 4
    prompt, dropped = service.chat_prompt("glue_sst2", [*long, {"role": "user", "content": "short"}], 4)
    assert dropped > 0 and prompt.endswith(sst2.render({"sentence": "short"}))
    assert service.engine.count_tokens(prompt) <= service.engine.max_context - 4
    with pytest.raises(PromptTooLong):
        service.chat_prompt("glue_sst2", [{"role": "user", "content": "word " * 2000}], 4)
    with pytest.raises(InvalidRequest, match="last message"):
        service.chat_prompt("glue_sst2", messages[:2], 4)
    base_prompt, _ = service.chat_prompt("base", [{"role": "system", "content": "Be brief."},
                                                  {"role": "user", "content": "Hello"}], 4)
    assert base_prompt == "Be brief.\n\nHello"


def test_the_turns_left_out_are_the_fewest_that_fit(service):
    """The search for how many old turns to leave out agrees with leaving out one more at a time."""
    for turns in (1, 2, 3, 7, 40):
        for words in (5, 60, 300):
            messages = []
            for i in range(turns):
                messages += [{"role": "user", "content": f"film {i} " + "word " * (words * (i % 3))},
                             {"role": "assistant", "content": str(i % 2)}]
            messages.append({"role": "user", "content": "short"})
            prompt, dropped = service.chat_prompt("glue_sst2", messages, 4)
            # a conversation that starts `d` turns later fits whole exactly when leaving out d turns fits
            fewest = next(d for d in range(turns + 1) if service.chat_prompt("glue_sst2", messages[2 * d:], 4)[1] == 0)
            assert dropped == fewest and prompt == service.chat_prompt("glue_sst2", messages[2 * fewest:], 4)[0]


def test_a_run_gives_the_engines_answers_and_completes_its_row(service, catalog, engine):
    task = catalog.tasks["glue_sst2"]
    prompt, fields = service.render("glue_sst2", task.examples[0])
    run = service.start(source="page", kind="compare", adapter="glue_sst2", prompt=prompt, fields=fields,
                        params={"max_new_tokens": 4})
    assert service.store.get(run.row_id)["status"] in ("incomplete", "complete")
    pieces = {"tuned": "", "base": ""}
    for side, piece in run.events():
        pieces[side] += piece
    expected = engine.generate([prompt, prompt], ["glue_sst2", "base"], max_new_tokens=4)
    assert [pieces["tuned"], pieces["base"]] == expected
    row = service.store.get(run.row_id)
    assert (row["status"], row["output"], row["base_output"]) == ("complete", expected[0], expected[1])
    assert row["batch_peak"] >= 2 and row["tokens_in"] == engine.count_tokens(prompt)


def test_the_row_completes_even_if_nobody_reads_the_answer(service):
    run = service.start(source="api", kind="completion", adapter="conllpp", prompt="EU rejects German call",
                        params={"max_new_tokens": 6})
    run.wait(timeout=30)
    row = service.store.get(run.row_id)
    assert row["status"] == "complete" and row["output"] == run.completions["tuned"].text


def test_closing_the_stream_cancels_both_rows_and_frees_the_batch(service, engine):
    run = service.start(source="api", kind="completion", adapter="glue_sst2", prompt="a long story",
                        params={"max_new_tokens": 500, "ignore_eos": True})
    events = run.events()
    next(events)
    events.close()  # the reader went away
    run.wait(timeout=30)
    row = service.store.get(run.row_id)
    assert row["status"] == "cancelled" and row["tokens_out"] < 500
    deadline = time.time() + 10
    while engine.stats()["running"] and time.time() < deadline:
        time.sleep(0.05)
    assert engine.stats()["running"] == 0


def test_refused_requests_leave_no_row(service):
    with pytest.raises(InvalidRequest, match="temperature"):
        service.start(source="api", kind="completion", adapter="glue_sst2", prompt="hi", params={"temperature": -1})
    with pytest.raises(UnknownAdapter, match="no model named 'gpt-5'"):
        service.start(source="api", kind="completion", adapter="gpt-5", prompt="hi")
    with pytest.raises(PromptTooLong):
        service.start(source="api", kind="completion", adapter="glue_sst2", prompt="word " * 2000)
    with pytest.raises(InvalidRequest, match="empty"):
        service.start(source="api", kind="completion", adapter="glue_sst2", prompt=" \x00 ")
    assert service.store.count() == 0


def test_a_full_queue_is_refused_without_a_row(catalog, tmp_path):
    limits = Limits(max_rows=2, max_queue=2)
    with Engine.from_config("adapters.yaml", "demo", tasks=["glue_sst2"], limits=limits) as small:
        service = Service(catalog, "demo", Store(tmp_path / "log.db"), small)
        runs = [service.start(source="api", kind="completion", adapter="glue_sst2", prompt="a",
                              params={"max_new_tokens": 300, "ignore_eos": True})]
        with pytest.raises(EngineBusy):
            for _ in range(4):
                runs.append(service.start(source="api", kind="completion", adapter="glue_sst2", prompt="b",
                                          params={"max_new_tokens": 300, "ignore_eos": True}))
        for run in runs:
            run.cancel()
        for run in runs:
            run.wait(timeout=30)
        assert service.store.count() == len(runs)
        assert {r["status"] for r in service.store.history()} == {"cancelled"}


def test_not_ready_until_an_engine_is_attached(catalog, tmp_path, engine):
    service = Service(catalog, "demo", Store(tmp_path / "log.db"))
    assert not service.ready
    with pytest.raises(NotReady, match="loading"):
        service.start(source="api", kind="completion", adapter="base", prompt="hi")
    service.load_error = "the model failed to load: OSError: disk"
    with pytest.raises(NotReady, match="disk"):
        service.models()
    service.attach(engine)
    assert service.ready and service.models()[0] == "base"


def test_chat_columns_run_together_with_their_own_histories(service, catalog):
    sst2 = catalog.tasks["glue_sst2"]
    tuned = [{"role": "user", "content": "a fine film"}, {"role": "assistant", "content": "1"},
             {"role": "user", "content": "a dull film"}]
    base = [{"role": "user", "content": "a fine film"}, {"role": "assistant", "content": "The following headline"},
            {"role": "user", "content": "a dull film"}]
    p1, _ = service.chat_prompt("glue_sst2", tuned, 4)
    p2, _ = service.chat_prompt("glue_sst2", base, 4)
    run = service.start(source="page", kind="chat", adapter="glue_sst2", prompt=p1, base_prompt=p2, fields=tuned,
                        params={"max_new_tokens": 4})
    completions = run.wait(timeout=30)
    assert completions["tuned"].tokens_in != completions["base"].tokens_in
    assert service.store.get(run.row_id)["prompt"].endswith(sst2.render({"sentence": "a dull film"}))


def test_concurrent_runs_share_batches(service):
    runs, lock = [], threading.Lock()

    def one(i):
        run = service.start(source="api", kind="completion", adapter="glue_sst2" if i % 2 else "conllpp",
                            prompt=f"request {i}", params={"max_new_tokens": 16, "ignore_eos": True})
        with lock:
            runs.append(run)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for run in runs:
        run.wait(timeout=60)
    rows = service.store.history()
    assert len(rows) == 8 and {r["status"] for r in rows} == {"complete"}
    assert max(r["batch_peak"] for r in rows) > 2  # more than one request's pair in a batch


def test_a_failing_progress_write_does_not_hurt_the_answer(service, monkeypatch):
    import lora_land.service as service_module

    monkeypatch.setattr(service_module, "PROGRESS_SECONDS", 0.0)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(service.store, "progress", broken)
    run = service.start(source="api", kind="completion", adapter="glue_sst2", prompt="a long story",
                        params={"max_new_tokens": 50, "ignore_eos": True})
    text = "".join(piece for side, piece in run.events() if side == "tuned")
    run.wait(timeout=30)
    row = service.store.get(run.row_id)
    assert row["status"] == "complete" and row["output"] == text and row["tokens_out"] == 50


def test_closing_the_service_completes_every_running_row(catalog, tmp_path):
    engine = Engine.from_config("adapters.yaml", "demo", tasks=["glue_sst2"])
    service = Service(catalog, "demo", Store(tmp_path / "log.db"), engine)
    runs = [service.start(source="api", kind="completion", adapter="glue_sst2", prompt=f"story {i}",
                          params={"max_new_tokens": 500, "ignore_eos": True}) for i in range(6)]
    next(runs[0].events())
    service.close()
    assert not service._runs
    store = Store(tmp_path / "log.db")
    assert {r["status"] for r in store.history()} == {"cancelled"} and store.count() == 6


def test_chat_fields_must_be_whole(catalog):
    stsb = catalog.tasks["glue_stsb"]
    with pytest.raises(InvalidRequest, match="found 'compare these' before any field"):
        parse_fields(stsb, "compare these\nsentence1: a\nsentence2: b")
    with pytest.raises(InvalidRequest, match="'sentence1' is given twice"):
        parse_fields(stsb, "sentence1: a\nsentence2: b\nsentence1: c")
    assert parse_fields(stsb, "\n sentence1: a\nsentence2: b") == {"sentence1": "a", "sentence2": "b"}


def test_the_stats_tab_plots_a_24_hour_clock_and_names_its_lines_in_words(service, catalog):
    """The Stats tab's data as the page gets it (no browser): legend names, axis format, no gaps in latency."""
    from lora_land.ui import Page

    task = catalog.tasks["glue_sst2"]
    prompt, fields = service.render("glue_sst2", task.examples[0])
    for _ in range(2):
        run = service.start(source="page", kind="compare", adapter="glue_sst2", prompt=prompt, fields=fields,
                            params={"max_new_tokens": 2})
        run.wait(timeout=60)
    table, throughput, latency, engine = Page(service).stats_tab.stats(10)
    assert table[0][:3] == ["glue_sst2", 2, 2] and "running" in engine
    assert throughput["x_axis_format"] == latency["x_axis_format"] == "%H:%M:%S"
    assert set(latency["value"]["series"]) == {"mean", "95th percentile"}
    assert latency["value"]["seconds"].notna().all()  # idle buckets are left out, not drawn as breaks
    assert Page(service).stats_tab.stats(3600)[1]["x_axis_format"] == "%H:%M"
