"""A short soak (`python -m lora_land.bench --soak 30`): a real app under mixed page and API traffic, then its log.

No time or rate is asserted: what must hold on any machine is that every request is
answered and has exactly one complete row in the log.
"""

import json

from lora_land import bench
from lora_land.bench.soak import KINDS


def test_a_short_soak_answers_every_request_and_loses_no_row(tmp_path, capsys):
    out = tmp_path / "soak.json"
    bench.main(["--soak", "30", "--users", "4", "--out", str(out)])
    report = json.loads(out.read_text())
    total = report["total"]
    assert total["errors"] == {} and total["answered"] == total["sent"] == len(report["requests"])
    assert all(report["by_kind"][kind]["answered"] >= 1 for kind in KINDS)  # every kind of traffic was sent
    assert {r["adapter"] for r in report["requests"] if r["kind"].startswith("api")} >= {"base", "glue_sst2"}
    log = report["log"]
    assert log["rows_lost"] == 0 and log["incomplete_rows"] == [] and log["answered_without_row"] == []
    assert log["answered_with_several_rows"] == [] and log["answered_not_complete"] == []
    assert log["statuses"] == {"complete": total["sent"]}
    assert report["app_started_here"] and report["rss_end_MB"] > 0
    assert sum(b["sent"] for b in report["buckets"]) == total["sent"] and len(report["buckets"]) == 3
    printed = capsys.readouterr().out
    assert "rows lost 0" in printed and "errors: none" in printed
