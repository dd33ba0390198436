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
