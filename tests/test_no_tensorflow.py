"""What builds no model imports no TensorFlow: the package, configs, data, and their tests."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Library modules that build no model.
LIGHT_MODULES = ("ahns_tf", "ahns_tf.config", "ahns_tf.config.flags", "ahns_tf.registry",
                 "ahns_tf.data", "ahns_tf.data.load", "ahns_tf.data.run_data",
                 "ahns_tf.data.checks", "ahns_tf.provenance", "ahns_tf.atomic", "ahns_tf.runs",
                 "ahns_tf.runs.progress", "pipelines.train", "pipelines.export", "tuning.report")
#: Test files of configs, data and JSON: they run without TensorFlow.
LIGHT_TESTS = ("test_config_file.py", "test_flags.py", "test_splits.py", "test_split_log.py",
               "test_log_filters.py", "test_vocabulary.py", "test_docstrings.py")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_light_modules_do_not_import_tensorflow():
    imports = "; ".join(f"import {m}" for m in LIGHT_MODULES)
    out = _run(f"import sys; {imports}; "
               "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'")
    assert out.returncode == 0, out.stderr[-2000:]


def test_tests_of_configs_and_data_run_without_tensorflow():
    files = [os.path.join("tests", name) for name in LIGHT_TESTS]
    out = _run("import sys, pytest; "
               f"rc = pytest.main(['-q', '-p', 'no:cacheprovider', *{files!r}]); "
               "assert 'tensorflow' not in sys.modules, 'a light test imported tensorflow'; "
               "sys.exit(rc)")
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
