"""benchmarks.speed: its report from hand-made rows, an older file's report, and a tiny run."""

import json
import os
import statistics
import subprocess
import sys

import pytest

from benchmarks import speed

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_report_gives_each_row_against_the_first_and_the_reference_against_ours():
    row = {"method": "ahns_p2", "layers": 3, "reference": None, "versus": None,
           "num_candidates": 32, "train_s_per_epoch": 0.5, "eval_s": 0.25,
           "load_before": 0.1, "load_after": 0.3}
    payload = {"provenance": None, "dataset": "tools", "epochs": 6, "machine": {"cpus": 2},
               "rows": {"ahns_p2-lightgcn3": row,
                        "reference-ahns_p2-lightgcn3-per-draw": dict(
                            row, reference="per-draw", versus="ahns_p2-lightgcn3",
                            train_s_per_epoch=4.0, eval_s=10.0)}}
    text = speed.markdown(payload, "results/tools-speed")
    assert "| ahns_p2-lightgcn3 | LightGCN L=3 | 32 | 0.500 | 1.00x | 0.250 | 0.10 / 0.30 |" in text
    # 4.0 / 0.5 = 8x slower to train, 10 / 0.25 = 40x slower to evaluate.
    assert "| reference-ahns_p2-lightgcn3-per-draw | 8.0x | 40.0x |" in text
    assert text.endswith("![Fig. 7](tools-speed-fig7.png)\n")


def test_an_older_speed_file_still_renders():
    payload = {"provenance": None, "dataset": "ml-1m", "epochs": 5, "machine": {"cpus": 2},
               "seconds": {"rns": {"median_epoch_seconds": 1.78, "num_candidates": 1},
                           "dns": {"median_epoch_seconds": 2.37, "num_candidates": 8}}}
    text = speed.markdown(payload, "ml-1m-speed")
    assert "| rns | MF | 1 | 1.780 | 1.00x | — | — |" in text
    assert "| dns | MF | 8 | 2.370 | 1.33x | — | — |" in text        # 2.37 / 1.78
    assert "reference / ours" not in text


@pytest.mark.slow
def test_each_row_runs_in_its_own_process_and_reports_medians(tmp_path):
    from conftest import report_toy_data
    data_dir = report_toy_data(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.speed", "--dataset", "toy", "--methods", "rns,ahns_p2",
         "--epochs", "3", "--data-dir", data_dir, "--output", str(tmp_path / "res")],
        capture_output=True, text=True, cwd=REPO, timeout=600,
        env=dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3"))
    assert out.returncode == 0, out.stderr[-3000:]
    payload = json.loads((tmp_path / "res" / "toy-speed.json").read_text())
    assert list(payload["rows"]) == ["rns", "ahns_p2"]
    for name, row in payload["rows"].items():
        assert len(row["epoch_seconds"]) == 3 and len(row["eval_seconds"]) == 2  # 1st traces
        assert row["train_s_per_epoch"] == statistics.median(row["epoch_seconds"][1:])
        assert row["eval_s"] == statistics.median(row["eval_seconds"])
        assert row["peak_rss_gib"] > 0 and row["reference"] is None
    assert payload["rows"]["rns"]["num_candidates"] == 1
    assert payload["provenance"]["command"].startswith("python -m benchmarks.speed --dataset toy")
    assert (tmp_path / "res" / "toy-speed-fig7.png").read_bytes()[:4] == b"\x89PNG"
