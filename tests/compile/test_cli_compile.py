"""`archspace compile` end to end, through archspace.cli.main (returns the exit code)."""

from __future__ import annotations

import json

import pytest

import archspace
from archspace.cli import main

from compile_helpers import SPACES, count, space

SE = str(SPACES / "squeezenet_se_auto.arch")


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_default_to_keras_file(keras, tmp_path, capsys):
    out = tmp_path / "model.keras"
    assert main(["compile", SE, "--default", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err
    model = keras.saving.load_model(out)
    assert count(model) == 729_034
    assert model.get_layer("group1_0.fire2.squeeze1x1").filters == 16


def test_config_file_and_summary(keras, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # Keras fits the summary to the terminal's width
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"group1": 1, "group2": 0}))
    assert main(["compile", SE, "--config", str(cfg), "--summary"]) == 0
    text = capsys.readouterr().out
    assert "group1_0.fire2.squeeze1x1" in text and "28,330" in text


def test_input_and_classes_overrides(keras, capsys):
    code = main(["compile", SE, "--default", "--summary", "--input", "image=224x224x3",
                 "--classes", "1000"])
    assert code == 0
    assert "1,236,904" in capsys.readouterr().out


def test_sample_as_python(keras, tmp_path):
    out = tmp_path / "model.py"
    assert main(["compile", SE, "--sample", "3", "--emit", "python", "-o", str(out)]) == 0
    namespace: dict = {"__name__": "generated"}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    model = namespace["build_model"]()
    s = space("squeezenet_se_auto")
    assert count(model) == archspace.build_graph(s, archspace.sample_config(s, 3)).params


def test_python_to_stdout(capsys):
    assert main(["compile", str(SPACES / "mobilenetv2.arch"), "--emit", "python"]) == 0
    text = capsys.readouterr().out
    assert "layers.ZeroPadding2D(padding=((0, 1), (0, 1)), name='block_1.pad')" in text
    assert "3,538,984 parameters" in text


@pytest.mark.parametrize("args,message", [
    (["--default", "--sample", "1"], "at most one of --config, --default and --sample"),
    (["--default", "-o", "model.h5"], "ends in .keras"),
    (["--emit", "onnx"], "expected ir, keras or python"),
    (["--input", "image=32x32"], ""),
])
def test_usage_errors(keras, tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["compile", SE] + args) == 2
    assert message in capsys.readouterr().err


def test_bad_configuration(tmp_path, capsys):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"group1": 5, "nope": 1}))
    assert main(["compile", SE, "--config", str(cfg), "--emit", "python"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "group1" in err
