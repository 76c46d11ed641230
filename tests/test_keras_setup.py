"""ahns_tf selects Keras 2, and fails clearly when Keras 3 was bound first."""

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code):
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env["PYTHONPATH"] = REPO
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.mark.slow
def test_importing_ahns_tf_first_gives_tf_keras():
    out = _run("import ahns_tf, tensorflow as tf, tensorflow_recommenders; print(tf.keras.__name__)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("tf_keras")


@pytest.mark.slow
def test_keras_3_already_bound_is_a_clear_error():
    # `import ahns_tf` imports no TensorFlow; the check runs where Keras is first used.
    out = _run("import tensorflow as tf; tf.keras.layers; import ahns_tf; import ahns_tf.models")
    assert out.returncode != 0
    assert "tf.keras is already bound to Keras 3" in out.stderr
    assert "Import ahns_tf before anything that uses tf.keras" in out.stderr
