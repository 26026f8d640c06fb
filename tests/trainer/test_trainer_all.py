"""``python -m trainer all``: the task order, and rebuilt vs shipped metrics (a pure function on
two small manifests), with the exit status it gives; the tasks themselves are stand-ins here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer import cli
from trainer.compare import MISSING, NEW, OUTSIDE, TIMING, WITHIN, compare_metrics, format_comparison
from trainer.run_all import task_order
from trainer.tasks import INFO, TaskInfo, task_info

SHIPPED = {"schema": 1, "models": {
    "a": {"sha256": "1", "metrics": {"rank1": 0.90, "val": {"mAP": 0.50, "queries": 192}, "note": "text",
                                     "parity_diff": 4.3e-7, "ms": 350, "flag": True}},
    "b": {"sha256": "2", "metrics": {"far": [0.01, 0.02]}},
    "gone": {"sha256": "3", "metrics": {"x": 1.0}},
}}


def rebuilt(**changes: float) -> dict:
    a = {"rank1": 0.9089, "val": {"mAP": 0.4951, "queries": 192}, "note": "other text",
         "parity_diff": 9.1e-7, "ms": 700, "flag": False, "extra": 3.0, **changes}
    return {"schema": 1, "models": {"a": {"sha256": "9", "metrics": a},
                                     "b": {"sha256": "2", "metrics": {"far": [0.01, 0.02]}}}}


def test_metrics_within_one_percent_relative() -> None:
    rows = {(row.model, row.metric): row for row in compare_metrics(SHIPPED, rebuilt())}
    assert rows["a", "rank1"].status == WITHIN            # +0.99%
    assert rows["a", "val.mAP"].status == WITHIN          # -0.98%
    assert rows["a", "val.queries"].status == WITHIN      # equal
    assert rows["a", "parity_diff"].status == WITHIN      # float rounding: under the absolute floor
    assert rows["a", "ms"].status == TIMING and not rows["a", "ms"].failed
    assert rows["a", "extra"].status == NEW and not rows["a", "extra"].failed
    assert rows["b", "far.0"].status == rows["b", "far.1"].status == WITHIN
    assert ("a", "note") not in rows and ("a", "flag") not in rows  # text and booleans are not numbers
    assert not any(model == "gone" for model, _ in rows)  # not rebuilt: nothing to compare
    assert not any(row.failed for row in rows.values())
    assert rows["a", "rank1"].relative == pytest.approx(0.0089 / 0.90)


def test_a_metric_outside_one_percent_or_missing_fails() -> None:
    rows = {row.metric: row for row in compare_metrics(SHIPPED, rebuilt(rank1=0.92)) if row.model == "a"}
    assert rows["rank1"].status == OUTSIDE and rows["rank1"].failed  # +2.2%
    without = rebuilt()
    del without["models"]["a"]["metrics"]["val"]["mAP"]
    rows = {row.metric: row for row in compare_metrics(SHIPPED["models"], without["models"])}
    assert rows["val.mAP"].status == MISSING and rows["val.mAP"].failed and rows["val.mAP"].rebuilt is None
    lines = format_comparison(compare_metrics(SHIPPED, rebuilt(rank1=0.92)))
    assert lines[0] == "a:" and any("rank1" in line and "OUTSIDE" in line and "+2.22%" in line for line in lines)
    assert lines[-1].startswith("5 of 6 metrics within 1%") and "a:rank1" in lines[-1]


def test_all_runs_the_registered_tasks_in_dependency_order() -> None:
    registered = ["personalise", "open-set", "parts", "faces", "bodies", "zeta"]
    assert task_order(registered) == ["faces", "bodies", "parts", "open-set", "zeta"]
    assert task_order([*registered, "face-head", "fusion"]) == [
        "faces", "bodies", "parts", "open-set", "fusion", "face-head", "zeta"]


def test_each_task_declares_its_plumbing_where_it_registers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sorted(name for name, info in INFO.items() if info.distributed) == ["parts"]
    assert sorted(name for name, info in INFO.items() if not info.shared_data) == ["personalise"]
    assert sorted(name for name, info in INFO.items() if not info.in_all) == ["personalise"]
    assert task_info("all") == task_info("not-registered") == TaskInfo()  # in all, by name; shared data; one process
    monkeypatch.setitem(INFO, "zeta", TaskInfo(order=0))  # a task registered with an order joins there
    assert task_order(["bodies", "faces", "zeta"]) == ["zeta", "faces", "bodies"]
    monkeypatch.setitem(INFO, "zeta", TaskInfo(in_all=False))
    assert task_order(["bodies", "faces", "zeta"]) == ["faces", "bodies"]


@pytest.mark.parametrize(("rank1", "extra", "status"), [(0.9089, [], 0), (0.92, [], 1), (0.92, ["--no-compare"], 0)])
def test_all_compares_with_the_shipped_manifest_and_sets_the_exit_status(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        rank1: float, extra: list[str], status: int) -> None:
    baseline, out, ran = tmp_path / "shipped.json", tmp_path / "models", []
    baseline.write_text(json.dumps(SHIPPED))

    def stand_in(name: str):
        def task(config: dict) -> None:
            assert config["task"] == name and config["out"] == str(out) and config["device"] == "cpu"
            ran.append(name)
            out.mkdir(exist_ok=True)
            (out / "manifest.json").write_text(json.dumps(rebuilt(rank1=rank1)))
        return task

    tasks = {name: stand_in(name) for name in ("fusion", "faces", "personalise", "parts")}
    monkeypatch.setattr(cli, "TASKS", tasks)
    monkeypatch.setattr(cli, "missing_shared_data", lambda task, config: None)
    assert cli.main(["all", "--out", str(out), "--device", "cpu", "--baseline", str(baseline), *extra]) == status
    assert ran == ["faces", "parts", "fusion"]
    printed = capsys.readouterr().out
    assert "all: 3 tasks in order: faces, parts, fusion" in printed
    if "--no-compare" in extra:
        assert "shipped" not in printed
    else:
        assert "  rank1" in printed and ("OUTSIDE" in printed) == (status == 1)
        assert "byte-identical to the shipped file: b" in printed and "shipped but not in" in printed


def test_all_takes_no_config_file(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as error:
        cli.main(["all", "--config", str(tmp_path / "x.yaml")])
    assert error.value.code == 2
