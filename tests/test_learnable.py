"""benchmarks.learnable's arithmetic and report (the training it drives is tested elsewhere)."""

import pytest

from benchmarks.learnable import gains, markdown


def _rows():
    return {"rns": {"test": {"recall@20": 0.10, "ndcg@20": 0.05}, "best_epoch": 20,
                    "median_epoch_seconds": 14.0, "valid_curve": [[5, 0.08], [10, 0.09]]},
            "ahns": {"test": {"recall@20": 0.12, "ndcg@20": 0.045}, "best_epoch": 10,
                     "median_epoch_seconds": 19.0, "valid_curve": [[5, 0.11], [10, 0.115]]}}


def test_gains_are_relative_to_the_first_sampler():
    g = gains(_rows(), "rns")
    assert g["ahns"]["recall@20"] == pytest.approx(0.2)
    assert g["ahns"]["ndcg@20"] == pytest.approx(-0.1)
    assert g["rns"] == {"recall@20": 0.0, "ndcg@20": 0.0}


def test_report_rows_and_curves():
    rows = _rows()
    text = markdown({"provenance": {"command": "python -m benchmarks.learnable"},
                     "dataset": "synth-1e5", "samplers": ["rns", "ahns"], "epochs": 20,
                     "eval_users": 10000, "rows": rows, "gains": gains(rows, "rns")})
    assert "| ahns | 10 | 12.00 | 4.50 | +20.0% / -10.0% | 19.0 |" in text
    assert "- ahns: 5: 11.00, 10: 11.50" in text
