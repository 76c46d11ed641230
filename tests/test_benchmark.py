"""The Table 2 tools: `python -m pipelines.benchmark` (benchmarks.table2), benchmarks.seeds and
benchmarks.search on tiny synthetic data, and the runner they share (benchmarks.lab)."""

import json
import os
import subprocess
import sys

import pytest

from benchmarks import paper
from conftest import report_toy_data

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_table2_constants_match_the_shared_copy(shared_data):
    with open(os.path.join(os.path.dirname(shared_data), "paper-table2.json")) as f:
        shared = json.load(f)
    assert shared["metrics"] == list(paper.METRICS)
    assert shared["results"] == paper.TABLE2


@pytest.mark.slow
def test_benchmark_command_writes_json_markdown_and_figures(toy_data_dir, tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run(
        [sys.executable, "-m", "pipelines.benchmark", "--dataset", "toy", "--methods",
         "rns,ahns_p2", "--select-on", "test", "--epochs", "2", "--data-dir", toy_data_dir,
         "--output-dir", str(tmp_path / "results"), "--work-dir", str(tmp_path / "work"),
         "--ks", "5", "10", "--select-metric", "recall@5", "--batch-size", "64"],
        capture_output=True, text=True, env=env, timeout=600, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads((tmp_path / "results" / "toy.json").read_text())
    assert list(results) == ["rns", "ahns_p2"]
    assert results["ahns_p2"]["config"]["p"] == -2.0 and results["rns"]["config"]["sampler"] == "rns"
    assert len(results["rns"]["epoch_hardness"]) == 2
    table = (tmp_path / "results" / "toy.md").read_text()
    assert "| rns | " in table and "| ahns_p2 | " in table and "reference protocol" in table
    for name in ("toy-fig5.png", "toy-fig7.png"):
        assert (tmp_path / "results" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The exact command and the commit it ran on are recorded with each row and reported.
    from ahns_tf.provenance import code_fingerprint
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    for run in results.values():
        record = run["provenance"]
        assert record["command"].startswith("python -m pipelines.benchmark --dataset toy")
        assert "--epochs 2 " in record["command"] and "--batch-size 64" in record["command"]
        assert record["commit"] == (head or None)
        assert record["code_fingerprints"] == [code_fingerprint()]
    assert "--methods rns,ahns_p2 --select-on test --epochs 2" in table
    if head:
        assert f"at commit {head[:10]}" in table

    # New settings for one method: refused until --overwrite, then only that method re-trains.
    from benchmarks.lab import METHODS_FILE
    with open(METHODS_FILE) as f:
        methods = json.load(f)
    methods["methods"]["ahns_p2"]["default"]["beta"] = 0.3
    (tmp_path / "methods.json").write_text(json.dumps(methods))
    again = [a if a != "rns,ahns_p2" else "ahns_p2" for a in out.args]
    again += ["--methods-file", str(tmp_path / "methods.json")]
    refused = subprocess.run(again, capture_output=True, text=True, env=env, timeout=600, cwd=REPO)
    assert refused.returncode == 2 and "--overwrite" in refused.stderr, refused.stderr[-2000:]
    redone = subprocess.run(again + ["--overwrite"], capture_output=True, text=True, env=env,
                            timeout=600, cwd=REPO)
    assert redone.returncode == 0, redone.stderr[-3000:]
    results = json.loads((tmp_path / "results" / "toy.json").read_text())
    assert list(results) == ["rns", "ahns_p2"] and results["ahns_p2"]["config"]["beta"] == 0.3

    # Finished methods are not trained again, even when their run folders are gone.
    import shutil
    shutil.rmtree(tmp_path / "work")
    kept = subprocess.run(again, capture_output=True, text=True, env=env, timeout=600, cwd=REPO)
    assert kept.returncode == 0, kept.stderr[-3000:]
    assert not (tmp_path / "work").exists()
    assert json.loads((tmp_path / "results" / "toy.json").read_text()) == results

    # A row trained by other library code is trained again, so one table never mixes code.
    results["ahns_p2"]["provenance"]["code_fingerprints"] = ["0123456789abcdef"]
    (tmp_path / "results" / "toy.json").write_text(json.dumps(results))
    retrained = subprocess.run(again, capture_output=True, text=True, env=env, timeout=600,
                               cwd=REPO)
    assert retrained.returncode == 0, retrained.stderr[-3000:]
    assert (tmp_path / "work").exists()
    stored = json.loads((tmp_path / "results" / "toy.json").read_text())
    assert stored["ahns_p2"]["provenance"]["code_fingerprints"] == [code_fingerprint()]
    assert stored["rns"] == results["rns"]


@pytest.mark.slow
def test_unknown_method_is_rejected(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-m", "pipelines.benchmark", "--dataset", "tools",
                          "--methods", "rns,bogus"], capture_output=True, text=True, env=env,
                         timeout=300, cwd=REPO)
    assert out.returncode == 2 and "unknown method(s) ['bogus']" in out.stderr


def test_seed_summary_mean_std_and_gap_by_hand():
    from benchmarks.seeds import markdown, summarise
    runs = {"1": {"test": {"recall@20": 0.07, "ndcg@20": 0.040}, "best_epoch": 20},
            "2": {"test": {"recall@20": 0.08, "ndcg@20": 0.042}, "best_epoch": 30}}
    s = summarise(runs, [8.0, 4.0, 5.0])
    assert abs(s["recall@20"]["mean"] - 7.5) < 1e-9
    assert abs(s["recall@20"]["std"] - 0.5 ** 0.5) < 1e-9     # sample std of 7 and 8
    assert abs(s["recall@20"]["relative_to_paper"] - (7.5 / 8 - 1)) < 1e-9
    assert abs(s["ndcg@20"]["relative_to_paper"] - (4.1 / 4 - 1)) < 1e-9
    text = markdown({"command": "x", "dataset": "tools", "sampler": "ahns", "epochs": 50,
                     "runs": runs, "summary": s})
    assert "| mean ± std | 7.50 ± 0.71 | 4.10 ± 0.14 |" in text and "-6.2%" in text


def test_seeds_refuses_to_mix_settings_in_one_results_file(tmp_path, capsys):
    from benchmarks import seeds
    (tmp_path / "toy-dns-seeds.json").write_text(json.dumps(
        {"epochs": 5, "num_candidates": 8, "runs": {"1": {}}}))
    base = ["--dataset", "toy", "--sampler", "dns", "--output", str(tmp_path)]
    with pytest.raises(SystemExit) as stop:
        seeds.main(base + ["--epochs", "5", "--num-candidates", "16"])
    assert stop.value.code == 2
    assert "runs with --num-candidates 8, not 16" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        seeds.main(base + ["--epochs", "6", "--num-candidates", "8"])
    assert "runs with --epochs 5, not 6" in capsys.readouterr().err


@pytest.mark.slow
def test_seeds_under_the_refit_protocol_report_each_seeds_refit_run(tmp_path):
    from benchmarks import seeds
    toy_data_dir = report_toy_data(tmp_path)
    argv = ["--dataset", "toy", "--seeds", "1", "2", "--epochs", "2", "--protocol", "refit",
            "--data-dir", toy_data_dir, "--output", str(tmp_path / "res"),
            "--work-dir", str(tmp_path / "work")]
    assert seeds.main(argv) == 0
    payload = json.loads((tmp_path / "res" / "toy-ahns-refit-seeds.json").read_text())
    assert payload["protocol"] == "refit" and sorted(payload["runs"]) == ["1", "2"]
    recalls = []
    for seed, row in payload["runs"].items():
        run = json.loads((tmp_path / "work" / f"toy-ahns-refit-{seed}" / "metrics.json")
                         .read_text())
        assert run["config"]["refit"] is True and run["config"]["select_on"] == "valid"
        assert run["config"]["seed"] == int(seed)
        assert row["test"] == run["test"]
        assert row["best_epoch"] == run["refit"]["selected_epoch"]
        recalls.append(100 * run["test"]["recall@20"])
    assert abs(payload["summary"]["recall@20"]["mean"] - sum(recalls) / 2) < 1e-9
    text = (tmp_path / "res" / "toy-ahns-refit-seeds.md").read_text()
    assert "validation + refit" in text and "--select-on test" not in text
    assert "| seed | epochs retrained |" in text


def test_gap_section_lists_only_methods_outside_the_band():
    from benchmarks.table2 import gap_section
    results = {"ahns_p2": {"test": {"recall@20": 0.0700, "ndcg@20": 0.0400}},   # -5.7%, -1.2%
               "rns": {"test": {"recall@20": 0.0550, "ndcg@20": 0.0290}}}       # -0.5%, -3.0%
    settings = {"ahns_p2": {"default": {"sampler": "ahns", "p": -2}, "source": "readme",
                            "searched": {"alpha": {"tools": [0.5, 1.0], "ml-1m": [0.1]}},
                            "gap_notes": {"tools": "Seed noise."}},
                "rns": {"default": {"sampler": "rns"}, "searched": {},
                        "gap_notes": {"tools": "Within, but worth a word.",
                                      "sports": "Not for tools."}}}
    lines = gap_section("tools", results, settings)
    text = "\n".join(lines)
    assert "- **rns** (within 5%): Within, but worth a word." in text
    assert "Not for tools." not in text
    assert text.index("**ahns_p2**") < text.index("## Notes on methods within the band")
    assert "**ahns_p2** (recall@20 -5.7%)" in text and "ndcg@20" not in text.split("**ahns_p2**")[1].split(":")[0]
    assert '{"p": -2}' in text and '"alpha": [0.5, 1.0]' in text and "Seed noise." in text
    assert "0.1]" not in text and "results not committed yet" in text
    assert "rns" not in text.split("## Notes on methods within the band")[0]
    only_rns = gap_section("tools", {"rns": results["rns"]}, settings)
    assert only_rns[0] == "## Notes on methods within the band"    # no "Outside" section


def test_reference_loop_evaluator_by_hand():
    """benchmarks/reference_torch.py's numpy evaluator, on a case worked out by hand."""
    import numpy as np
    from benchmarks.reference_torch import ranking_metrics
    users = np.array([[1.0], [1.0]])                       # 2 users, dim 1
    items = np.array([[3.0], [2.0], [1.0], [0.5]])         # scores 3, 2, 1, 0.5 for both
    train = {0: {0}, 1: set()}
    test = {0: {2}, 1: {1, 3}}
    recall, ndcg = ranking_metrics(users, items, train, test, k=2)
    # user 0: top-2 of {1, 2, 3} = [1, 2]; hit at rank 2 -> recall 1, NDCG (1/log2 3) / 1.
    # user 1: top-2 = [0, 1]; hit at rank 2 of 2 held-out -> recall 1/2,
    #         NDCG (1/log2 3) / (1 + 1/log2 3).
    d2 = 1 / np.log2(3)
    assert abs(recall - (1 + 0.5) / 2) < 1e-12
    assert abs(ndcg - (d2 + d2 / (1 + d2)) / 2) < 1e-12


@pytest.mark.slow
def test_search_records_each_grid_point_with_its_provenance(toy_data_dir, tmp_path, capsys):
    from benchmarks import search
    from benchmarks.table2 import gap_section
    argv = ["--dataset", "toy", "--method", "dns_mn", "--grid", "top_n=1,3", "--epochs", "2",
            "--ks", "5", "20", "--data-dir", toy_data_dir, "--output", str(tmp_path / "results"),
            "--work-dir", str(tmp_path / "work")]
    assert search.main(argv) == 0
    stored = json.loads((tmp_path / "results" / "search-toy-dns_mn.json").read_text())
    assert list(stored["runs"]) == ["top_n=1", "top_n=3"]
    assert [r["config"]["top_n"] for r in stored["runs"].values()] == [1, 3]
    assert all(r["config"]["sampler"] == "dns_mn" and r["config"]["epochs"] == 2
               for r in stored["runs"].values())
    command = stored["runs"]["top_n=3"]["provenance"]["command"]
    assert "--grid top_n=1,3 --epochs 2" in command
    table = (tmp_path / "results" / "search-toy-dns_mn.md").read_text()
    assert "| top_n=3 | test | " in table
    # Done points are kept, not trained again.
    import shutil
    shutil.rmtree(tmp_path / "work")
    assert search.main(argv) == 0 and not (tmp_path / "work").exists()
    # The Table 2 report links the search once it exists.
    settings = {"dns_mn": {"default": {"sampler": "dns_mn"}, "searched": {"top_n": {"toy": [1, 3]}}}}
    paper_row = {"dns_mn": {"test": {"recall@20": 0.0, "ndcg@20": 0.0}}}
    paper.TABLE2["toy"] = {"dns_mn": [5.0, 3.0, 4.0]}
    try:
        text = "\n".join(gap_section("toy", paper_row, settings, str(tmp_path / "results")))
    finally:
        del paper.TABLE2["toy"]
    assert "(results: [search-toy-dns_mn.md](search-toy-dns_mn.md))" in text
    with pytest.raises(SystemExit):
        search.main(argv[:4] + ["--grid", "no_such=1"])
    assert "'no_such' is not a training setting" in capsys.readouterr().err


@pytest.mark.parametrize("stored, overwrite", [
    ({"code_fingerprints": ["other"]}, True), ({}, True), (None, False),
    ({"code_fingerprints": ["CURRENT"]}, False)])
def test_a_run_folder_begun_by_other_code_is_discarded_before_training(tmp_path, monkeypatch,
                                                                       stored, overwrite):
    from ahns_tf import training
    from ahns_tf.config import TrainConfig
    from benchmarks import lab
    calls = []
    monkeypatch.setattr(training, "train", lambda config, **kw: calls.append(kw) or {})
    if stored is not None:
        (tmp_path / "progress.json").write_text(json.dumps(dict(stored, epoch=3, config={})))
    lab.train_current(TrainConfig(output_dir=str(tmp_path)), "CURRENT", verbose=0)
    assert calls == [dict(verbose=0, **({"overwrite": True} if overwrite else {}))]
