"""The hints for what users bring from elsewhere: a statement keyword as a branch label, Keras'
argument spellings. Rendered with file:line:col, caret and hint; `show` exits 2, `lint` 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from archspace.cli import main

INVALID = Path(__file__).resolve().parents[1] / "fixtures" / "invalid"


@pytest.mark.parametrize("name, line, caret, hint", [
    ("syntax_keyword_as_branch_label", "   11 |   | skip: identity", "      |     ^^^^",
     "  hint: rename the branch, e.g. 'skip_:' ('skip' starts a statement)"),
    ("type_keras_activation", "   10 |   conv(w, 3x3, activation=relu)",
     "      |                ^^^^^^^^^^^^^^^",
     "  hint: archspace spells Keras' 'activation' as 'act': write act=relu, or just relu: "
     "conv(.., relu)"),
])
def test_rendered_and_exit_codes(capsys, name, line, caret, hint):
    path = str(INVALID / f"{name}.arch")
    assert main(["show", path]) == 2
    err = capsys.readouterr().err.splitlines()
    i = err.index(line)
    assert f"{name}.arch:" in err[i - 1] and err[i + 1:i + 3] == [caret, hint]
    assert "Traceback" not in "\n".join(err)
    assert main(["lint", path]) == 1
    assert hint in capsys.readouterr().out
