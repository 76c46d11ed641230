"""The lab's shared parts: methods.json found through the package, the report writer's
``--report-only``, and the library kept free of the lab. Reads JSON only: no TensorFlow."""

import ast
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from benchmarks import report

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_methods_json_is_found_through_the_package_not_the_current_directory(tmp_path):
    # A copy of the package elsewhere (as an installed one would be), run from a third folder
    # that holds a decoy benchmarks/methods.json: the package's own file is the one read.
    site = tmp_path / "site" / "benchmarks"
    site.mkdir(parents=True)
    for name in glob.glob(os.path.join(REPO, "benchmarks", "*.py")) + [
            os.path.join(REPO, "benchmarks", n) for n in ("methods.json", "paper.json")]:
        shutil.copy(name, site)
    (tmp_path / "cwd" / "benchmarks").mkdir(parents=True)
    (tmp_path / "cwd" / "benchmarks" / "methods.json").write_text('{"methods": {"bogus": {}}}')
    probe = ("import benchmarks.lab as lab, benchmarks.paper as paper, sys; "
             "print(lab.METHODS_FILE); print(sorted(lab.load_method_settings())); "
             "print(paper.row('tools', 'rns')); print('tensorflow' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "site"), REPO]))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=tmp_path / "cwd", env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    path, methods, row, tensorflow = out.stdout.splitlines()
    assert path == str(site / "methods.json")
    with open(os.path.join(REPO, "benchmarks", "methods.json")) as f:
        assert methods == str(sorted(json.load(f)["methods"]))
    assert row == "[5.53, 2.99, 3.75]" and tensorflow == "False"   # Table 2, RNS on tools


def test_setup_packages_the_lab_with_its_data_files():
    tree = ast.parse(open(os.path.join(REPO, "setup.py")).read())
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, "id", "") == "setup")
    keywords = {k.arg: k.value for k in call.keywords}
    assert "benchmarks" in ast.literal_eval(keywords["packages"].keywords[0].value)
    assert ast.literal_eval(keywords["package_data"]) == {
        "benchmarks": ["methods.json", "paper.json"]}


def test_no_library_module_imports_the_lab_or_the_moved_modules():
    for path in glob.glob(os.path.join(REPO, "ahns_tf", "**", "*.py"), recursive=True):
        for node in ast.walk(ast.parse(open(path).read())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "benchmarks" for n in names), path
    for moved in ("benchmark", "paper", "plots"):
        assert not os.path.exists(os.path.join(REPO, "ahns_tf", f"{moved}.py"))


def test_report_only_rewrites_the_md_from_the_stored_json_and_leaves_the_json(tmp_path, capsys):
    record = {"command": "python -m benchmarks.x --epochs 3", "commit": "0123456789ab",
              "dirty": False, "versions": {"tensorflow": "2.21.0"}}
    stored = {"provenance": record, "machine": {"cpus": 2}, "rows": [[1, 0.5]]}
    (tmp_path / "x.json").write_text(json.dumps(stored))
    before = (tmp_path / "x.json").read_bytes()

    def markdown(payload, stem):
        return "\n".join(["# X", "", report.produced_by(payload) + ".", ""]
                         + report.table(["a", "b"], payload["rows"])) + "\n"
    assert report.rerender(str(tmp_path / "x"), markdown, argv=["--report-only"]) == 0
    lines = (tmp_path / "x.md").read_text().splitlines()
    assert lines[0] == "# X" and lines[2].startswith(
        "Re-rendered from the stored x.json (nothing run) by `python")
    assert " --report-only` at commit " in lines[2]          # this command, beside the original
    assert lines[4] == ("Produced by `python -m benchmarks.x --epochs 3` at commit 0123456789, "
                        'TensorFlow 2.21.0 on {"cpus": 2}.')
    assert lines[6:] == ["| a | b |", "|---|---|", "| 1 | 0.5 |"]
    assert (tmp_path / "x.json").read_bytes() == before
    assert report.rerender(str(tmp_path / "missing"), markdown) == 2
    assert "missing.json does not exist; run without it first" in capsys.readouterr().err


def test_run_origins_groups_runs_by_their_recorded_command():
    record = {"command": "python -m a", "commit": "abc", "versions": {"tensorflow": "2.21.0"}}
    lines = report.run_origins({"rns": {"provenance": record}, "dns": {},
                                "ssm": {"provenance": record}})
    assert lines == ["- rns, ssm: `python -m a` at commit abc, TensorFlow 2.21.0",
                     "- dns: an unrecorded command and commit (made before provenance was "
                     "recorded)"]
