"""`compile --emit python`: user strings reach the script only through repr() (issue 10.2)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import pytest

import archspace
from archspace.compile import emit_python

# a stand-in for keras: every attribute and call answers, so the script runs in full without
# TensorFlow (only the script's own effects are under test)
KERAS_STUB = textwrap.dedent('''
    class _Any:
        def __getattr__(self, name): return _Any()
        def __call__(self, *a, **k): return _Any()
        def __iter__(self): return iter(())
    def __getattr__(name): return _Any()
''')


def hostile(marker) -> str:
    cmd = f"open({str(marker)!r}, 'w').write('pwned')"
    q = '\\"\\"\\"'  # """ inside an .arch string
    value = f"{q} + str(__import__(\\\"builtins\\\").exec(\\\"{cmd}\\\")) + {q}"
    # the same payload for the other quote style, a newline escape and a format field
    other = "''' + str(__import__('os').system('false')) + ''' {__import__} \\n# x"
    return textwrap.dedent(f"""
        space hostile "{q} + str(__import__(\\\"os\\\").getpid()) + {q}"
        input image: 8x8x1
        output classes: 2
        network {{
          conv(4, 3x3, relu) as c1
          global_avg_pool
          softmax
        }}
        train {{ early_stop_monitor = choice("{value}", val_loss)
                metrics = choice("{other}", accuracy) }}
    """)


def calls(tree: ast.AST) -> set[str]:
    return {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}


@pytest.mark.parametrize("pick", [0, 1])
def test_hostile_strings_stay_data(tmp_path, pick):
    marker = tmp_path / "MARKER"
    space = archspace.parse(hostile(marker), str(tmp_path / "x.arch"))
    cfg = {d.path: d.values[0] for d in archspace.decisions(space) if d.path.startswith("train/")}
    if pick:
        cfg = {}
    source = emit_python(space, cfg)
    tree = ast.parse(source)
    names = calls(tree)
    assert not any("__import__" in c or "system" in c or "exec" in c for c in names), names
    # the module's top level: a docstring, two imports, data assignments and build_model
    for node in tree.body:
        assert isinstance(node, (ast.Expr, ast.Import, ast.ImportFrom, ast.Assign,
                                 ast.FunctionDef, ast.If)), ast.dump(node)
        if isinstance(node, ast.Expr):
            assert node is tree.body[0] and isinstance(node.value, ast.Constant)
        if isinstance(node, ast.Assign):
            ast.literal_eval(node.value)  # plain data only
    assert "__import__" not in ast.get_docstring(tree)
    # run it: the stub keras lets every line execute; the payload must not
    (tmp_path / "keras").mkdir()
    (tmp_path / "keras" / "__init__.py").write_text(KERAS_STUB)
    script = tmp_path / "model.py"
    script.write_text(source)
    p = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert not marker.exists()
    ns = {"__name__": "generated"}
    exec(compile(source, "model.py", "exec"), ns)  # noqa: S102 - the same, in this process
    assert not marker.exists()
    if not pick:
        assert ns["DECISIONS"]["train/early_stop_monitor"].startswith('""" + str(__import__')
    assert ns["SPACE"] == "hostile"
