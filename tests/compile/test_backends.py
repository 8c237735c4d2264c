"""Portability, in one fresh interpreter under KERAS_BACKEND=jax (no TensorFlow import, so it
starts fast): a .keras file saved here (TensorFlow) loads with plain keras.saving.load_model
while any import of archspace is blocked; then archspace builds and runs a sampled model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import archspace
from archspace.compile import to_keras

from compile_helpers import ROOT, count

import numpy as np  # noqa: E402

# a second interpreter that imports JAX and Keras, loads a saved model and builds one
pytestmark = pytest.mark.slow
TINY = ROOT / "tests" / "compile" / "fixtures" / "tiny.arch"

CHILD = """
import json, sys
import numpy as np
sys.modules["archspace"] = None            # any `import archspace` now fails
import keras
model = keras.saving.load_model({path!r})
y = np.asarray(model(np.load({x!r}), training=False))
loaded = [keras.backend.backend(), model.count_params(), [la.name for la in model.layers],
          y.tolist()]

del sys.modules["archspace"]               # now build one with archspace, on JAX
import archspace
from archspace.compile import to_keras
s = archspace.parse_file({space!r})
cfg = archspace.sample_config(s, 3)
model = to_keras(s, cfg)
y = model.predict(np.random.RandomState(0).rand(4, 8, 8, 3).astype("float32"), verbose=0)
built = [keras.backend.backend(), model.count_params(), archspace.build_graph(s, cfg).params,
         list(y.shape), bool(np.allclose(y.sum(-1), 1.0, atol=1e-5))]
print(json.dumps([loaded, built]))
"""


@pytest.fixture(scope="module")
def child(keras, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("backends")
    s = archspace.parse_file(str(TINY))
    cfg = {"stage": 2, "stage[0]/a/se": True, "stage[1]/b/se": True, "stage[1]/ratio": 4,
           "head": "flat", "head/flat/dropout/rate": 0.25, "residual": True}
    model = to_keras(s, cfg)
    model.save(tmp / "model.keras")
    x = np.random.RandomState(1).rand(2, 8, 8, 3).astype("float32")
    np.save(tmp / "x.npy", x)
    code = CHILD.format(path=str(tmp / "model.keras"), x=str(tmp / "x.npy"), space=str(TINY))
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded, built = json.loads(done.stdout.strip().splitlines()[-1])
    return model, x, loaded, built


def test_saved_model_loads_without_archspace(child):
    model, x, (backend, params, names, y), _ = child
    assert backend == "jax"
    assert params == count(model)
    assert names == [la.name for la in model.layers]
    assert {"stage_0.a.se.scale", "residual.proj", "residual.proj.bn", "residual"} <= set(names)
    assert np.allclose(y, np.asarray(model(x, training=False)), atol=1e-5)


def test_builds_and_runs_under_jax(child):
    backend, params, expected, shape, normalised = child[3]
    assert backend == "jax"
    assert params == expected
    assert shape == [4, 3]
    assert normalised
