"""Provenance records: the exact command, the commit, the code fingerprint."""

import hashlib
import json
import os
import subprocess
import sys

from ahns_tf.provenance import code_fingerprint, describe, payload_origin

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def recorded(command: str) -> dict:
    """A `provenance()` record of `command` at commit "abc" (the fields reports read)."""
    return {"command": command, "commit": "abc", "dirty": False,
            "versions": {"tensorflow": "2.21.0"}, "date": "d"}


def test_fingerprint_is_a_hash_of_paths_and_contents(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    (tmp_path / "notes.md").write_text("not code")
    # Independent recomputation: sorted relative paths, each followed by its bytes.
    digest = hashlib.sha256()
    for rel, text in (("a.py", b"x = 1\n"), (os.path.join("sub", "b.py"), b"y = 2\n")):
        digest.update(rel.encode() + b"\0" + text + b"\0")
    assert code_fingerprint(str(tmp_path)) == digest.hexdigest()[:16]
    (tmp_path / "notes.md").write_text("edited prose")
    assert code_fingerprint(str(tmp_path)) == digest.hexdigest()[:16]  # prose does not count
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    assert code_fingerprint(str(tmp_path)) != digest.hexdigest()[:16]


def test_a_module_entry_point_records_its_exact_command_and_commit(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text("import json\nfrom ahns_tf.provenance import provenance\n"
                      "print(json.dumps(provenance()))\n")
    env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{tmp_path}", TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-m", "probe", "--epochs", "2", "a b"], env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    record = json.loads(out.stdout)
    assert record["command"] == "python -m probe --epochs 2 'a b'"
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or None
    assert record["commit"] == head
    assert record["code_fingerprint"] == code_fingerprint()
    assert record["versions"]["tensorflow"].startswith("2.")


def test_reports_say_when_nothing_was_recorded():
    assert describe(None).startswith("an unrecorded command and commit")
    assert payload_origin({"command": "python -m x"}).startswith("`python -m x` (as rebuilt")
    line = describe({"command": "python -m y", "commit": "0123456789abcdef", "dirty": True,
                     "versions": {"tensorflow": "2.21.0"}, "date": "2026-11-27"})
    assert line == "`python -m y` at commit 0123456789+edits, TensorFlow 2.21.0"


def test_results_index_counts_recorded_runs_per_file(tmp_path):
    from benchmarks.index import index_lines
    record = recorded("python -m pipelines.benchmark --dataset toy")
    table = {"rns": {"config": {}, "provenance": record}, "dns": {"config": {}}}
    (tmp_path / "toy.json").write_text(json.dumps(table))
    (tmp_path / "old-seeds.json").write_text(json.dumps(
        {"command": "python -m benchmarks.seeds", "runs": {"1": {"test": {}}}}))
    (tmp_path / "notes.md").write_text("ignored")
    (tmp_path / "new.json").write_text(json.dumps({"runs": {"1": {"provenance": record}}}))
    # No runs and no recorded commit (an old speed file): only git can say where it came from.
    (tmp_path / "old-speed.json").write_text(json.dumps({"command": "python -m benchmarks.speed"}))
    rows = [line for line in index_lines(str(tmp_path))
            if line.startswith("| ") and line.split(" | ")[0].endswith(".json")]
    assert rows == [
        "| new.json | per run (see the .md) | 1 of 1 |",
        "| old-seeds.json | `python -m benchmarks.seeds` (as rebuilt then; commit not recorded: "
        "made before provenance was) | 0 of 1 |",
        "| old-speed.json | `python -m benchmarks.speed` (as rebuilt then; commit not recorded: "
        "made before provenance was) | — |",
        "| toy.json | per run (see the .md) | 1 of 2 |"]


def test_no_commit_is_recorded_for_a_copy_inside_another_repository(tmp_path):
    import importlib.util
    import shutil
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.email=a@b", "-c", "user.name=a",
                    "commit", "-q", "--allow-empty", "-m", "other project"], check=True)
    (tmp_path / "venv" / "ahns_tf").mkdir(parents=True)       # e.g. site-packages in a project
    copy = tmp_path / "venv" / "ahns_tf" / "provenance.py"
    shutil.copy(os.path.join(REPO, "ahns_tf", "provenance.py"), copy)
    spec = importlib.util.spec_from_file_location("copied_provenance", copy)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    record = module.provenance(command="python -m x")
    assert record["commit"] is None and record["dirty"] is None


def test_results_index_counts_the_rows_of_a_beyond_table(tmp_path):
    from benchmarks.index import index_lines
    record = recorded("python -m benchmarks.beyond")
    (tmp_path / "beyond.json").write_text(json.dumps(
        {"provenance": record, "provenance_per_row": True,
         "rows": {"t/mf/test": {"provenance": record, "test": {}}, "t/mf/refit": {"test": {}}}}))
    # Other files name their measurements "rows" too, all made by the file's one command.
    (tmp_path / "speed.json").write_text(json.dumps(
        {"provenance": dict(record, command="python -m benchmarks.speed"),
         "rows": {"ours": {"train_s": 1.0}, "reference": {"train_s": 7.0}}}))
    (tmp_path / "floor.json").write_text(json.dumps(
        {"provenance": dict(record, command="python -m benchmarks.floor"), "rows": [{"ms": 1}]}))
    rows = [line for line in index_lines(str(tmp_path))
            if line.startswith("| ") and line.split(" | ")[0].endswith(".json")]
    assert rows == [
        "| beyond.json | per row (see the .md) | 1 of 2 |",
        "| floor.json | `python -m benchmarks.floor` at commit abc, TensorFlow 2.21.0 | — |",
        "| speed.json | `python -m benchmarks.speed` at commit abc, TensorFlow 2.21.0 | — |"]


def test_results_index_names_the_script_and_commit_of_every_retired_studys_file(tmp_path):
    from benchmarks.index import index_lines
    record = recorded("python -m benchmarks.core --speed")
    for name in ("core-speed.json", "core.json", "tools.json"):
        (tmp_path / name).write_text(json.dumps({"provenance": record}))
    for name in ("core-speed.md", "core.md", "tools.md", "tuning-tools.md", "tools-fig5.png"):
        (tmp_path / name).write_text("")
    text = "\n".join(index_lines(str(tmp_path)))
    # The producer line stays for every file; every file of a retired script, .md and figures
    # included, is named with its script and the commit holding it, and how to reproduce it.
    assert ("| core-speed.json | `python -m benchmarks.core --speed` at commit abc, TensorFlow "
            "2.21.0 | — |") in text
    assert "| script | last in commit | results files |" in text
    assert "tools.json" not in text.split("## Retired studies")[1]             # not retired
    assert "`git worktree add ../ahns-COMMIT COMMIT`" in text
    assert ("| `benchmarks/core.py` | 749a9d7 | core-speed.json, core-speed.md, core.json, "
            "core.md |") in text
    assert "| `benchmarks/tuning_report.py` | 749a9d7 | tuning-tools.md |" in text
    assert "| `benchmarks/profile_step.py` | 749a9d7 | none (it printed its timings) |" in text
    for script in ("beyond", "distributed", "eval_points", "learnable", "lightgcn_speed",
                   "memory_floor", "read_log", "ps_epochs"):
        assert f"| `benchmarks/{script}.py` |" in text
    # The commit named really holds each retired script (a shallow clone may lack it).
    from benchmarks.index import RETIRED
    for script, (commit, _) in RETIRED.items():
        listed = subprocess.run(["git", "-C", REPO, "ls-tree", "--name-only", commit,
                                 "benchmarks/"], capture_output=True, text=True)
        if listed.returncode == 0:
            assert f"benchmarks/{script}.py" in listed.stdout.split(), (script, commit)
