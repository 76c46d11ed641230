"""tuning.report: Figure 6 from KerasTuner's trial.json files, with no benchmarks folder."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tuning import report

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _trials(folder):
    for number, (alpha, beta, ndcg, status) in enumerate(
            [(0.1, 0.4, 0.03, "COMPLETED"), (0.5, 0.4, 0.05, "COMPLETED"),
             (0.5, 0.1, 0.01, "FAILED")]):
        path = folder / "toy" / f"trial_{number}" / "trial.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({
            "trial_id": str(number), "status": status,
            "hyperparameters": {"values": {"alpha": alpha, "beta": beta}},
            "metrics": {"metrics": {"ndcg@20": {"observations": [{"value": [0.0]},
                                                                 {"value": [ndcg]}]}}}}))


def test_completed_trials_are_read_with_their_last_observation(tmp_path):
    _trials(tmp_path)
    trials = report.load_trials(str(tmp_path))
    assert [(t["trial_id"], t["alpha"], t["ndcg@20"]) for t in trials] == [
        ("0", 0.1, 0.03), ("1", 0.5, 0.05)]


@pytest.mark.slow
def test_figure6_is_drawn_from_a_copy_without_the_benchmarks_folder(tmp_path):
    _trials(tmp_path / "search")
    site = tmp_path / "site"
    for package in ("ahns_tf", "tuning"):      # an install without the lab
        shutil.copytree(os.path.join(REPO, package), site / package)
    out = subprocess.run([sys.executable, "-m", "tuning.report", str(tmp_path / "search")],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(site)))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "benchmarks" not in out.stderr
    assert (tmp_path / "search" / "figure6.png").read_bytes()[:4] == b"\x89PNG"
