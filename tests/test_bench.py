"""The benchmark command runs end to end (a smoke run: the figures themselves are not asserted)."""

import json

from lora_land import bench


def test_bench_smoke_run_writes_every_section(tmp_path, capsys):
    out = tmp_path / "bench.json"
    bench.main(["--quick", "--skip-150m", "--requests", "12", "--out", str(out)])
    report = json.loads(out.read_text())
    (batch,) = report["batch"]
    assert batch["adapters_in_batch"] == 25 and batch["rows"] == 32
    for key in ["engine_mixed_over_base", "peft_mixed_over_base", "engine_base_speed_vs_generate"]:
        assert batch[key] > 0
    assert [s["requests"] for s in report["load"]["servers"]] == [12, 12, 12]
    assert report["compare"]["pair_over_one"] > 0
    assert report["memory"]["adapter_host_MB"] > 0
    printed = capsys.readouterr().out
    assert "(a, b) one batch of 32 rows" in printed and "(e) memory" in printed


def test_the_median_of_runs_is_taken_per_figure(tmp_path, capsys):
    def run(ratio, seconds):
        return {"machine": {"torch": "x"}, "batch": [
            {"model": "demo", "engine_mixed_over_base": ratio, "engine_base_speed_vs_generate": 1.0, "rows": 32},
            {"model": "150M", "engine_mixed_over_base": ratio + 1, "engine_base_speed_vs_generate": 2.0, "rows": 32}],
            "compare": {"pair_s": seconds, "one_request_s": 1.0, "pair_over_one": seconds}}
    files = []
    for i, (ratio, seconds) in enumerate([(1.5, 3.0), (1.1, 1.0), (1.2, 2.0)]):
        files.append(tmp_path / f"run{i}.json")
        files[-1].write_text(json.dumps(run(ratio, seconds)))
    bench.main(["--median", *map(str, files), "--out", str(tmp_path / "median.json")])
    report = json.loads((tmp_path / "median.json").read_text())
    assert report["runs"] == 3 and [b["engine_mixed_over_base"] for b in report["batch"]] == [1.2, 2.2]
    assert report["compare"]["pair_s"] == 2.0 and report["batch"][0]["rows"] == 32
    assert "demo" in capsys.readouterr().out


def test_the_app_section_loads_a_running_server(app_server):
    from lora_land.bench import app_section

    report = app_section(app_server.url, users=3, new_tokens=4)
    for name in ("page", "api"):
        assert report[name]["one_after_another_s"] > 0 and report[name]["all_at_once_s"] > 0
    assert report["page"]["batch_one_after_another_max"] == 2  # a pair alone: the adapter's row and the base's
    assert report["page"]["batch_all_at_once_max"] >= 2
