"""benchmarks.scale's report, from hand-made measurements (no TensorFlow, nothing trained)."""

from benchmarks import scale


def _row(name, users, positives_per_second, served=0):
    latency = {"p50_ms": 1.25, "p99_ms": 2.5}
    return {"dataset": name, "load_before": 0.5, "load_after": 1.0,
            "read": {"num_users": users, "num_items": users, "read_seconds": 2.0},
            "step": {"adam": {"step_ms": 10.0}, "lazy_adam": {"step_ms": 4.0}},
            "train": {"pairs": 50 * users, "optimizer": "LazyAdam",
                      "positives_per_second": positives_per_second, "median_epoch_seconds": 3.0,
                      "eval_seconds": 1.5, "evaluated_users": 10_000, "checkpoint_seconds": 0.5,
                      "peak_rss_gib": 1.25, "recall@20": 0.1234, "ndcg@20": 0.05},
            "serve": {"1": latency, "256": latency, "training_items_served": served},
            "train_command": f"python -m pipelines.train --dataset {name}"}


def test_report_rows_are_relative_to_the_tools_baseline():
    text = scale.markdown({"provenance": None, "machine": "x86_64, 2 cores",
                           "rows": [_row("tools", 16_000, 20_000.0),
                                    _row("synth-1e6", 1_000_000, 11_000.0)]})
    # 11,000 / 20,000 positives per second = 55% of tools'.
    assert ("| synth-1e6 | 1,000,000 | 1,000,000 | 50,000,000 | 2.0 | 10.0 | 4.0 | LazyAdam | "
            "11,000 | 55% | 3.0 | 1.5 (10,000) | 0.5 | 1.25 | 0.5/1.0 |") in text
    assert "| tools | 16,000 | 1.2 | 2.5 | 1 | 2 | 0 |" in text      # serving, no leak
    assert "on x86_64, 2 cores." in text and "synth-1e6 R@20 12.34" in text
    assert "- `python -m pipelines.train --dataset synth-1e6`" in text
