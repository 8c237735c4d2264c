"""`archspace lint`: one fixture per rule (tests/lint_fixtures/, `# expect: CODE line:col`
headers, `# lint: key=value` options), shipped spaces, formats, exit codes, speed, and no
TensorFlow."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import archspace
from archspace.analysis import RULES, lint
from archspace.analysis.lint import LOAD_CODES
from archspace.cli import console, main

from conftest import LINT_FIXTURES, ROOT, SPACES, shipped_names

cli_app = importlib.import_module("archspace.cli.app")
FIXTURES = sorted(LINT_FIXTURES.glob("*.arch"))
#: warnings shipped spaces have on purpose: the papers' spaces are huge (AS111) and their
#: search constraints reject part of the space (AS110 warning, not error)
EXPECTED_WARNINGS = {"AS110", "AS111"}


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(console.out, "width", 240)
    monkeypatch.setattr(console.err, "width", 240)
    monkeypatch.chdir(ROOT)
    yield
    cli_app.state["debug"] = False


def headers(path: Path) -> tuple[set[tuple[str, str]], dict]:
    expected, options = set(), {}
    for line in path.read_text().splitlines():
        m = re.match(r"#\s*expect:\s*(AS\d{3})\s+(\d+:\d+)\s*$", line)
        if m:
            expected.add((m.group(1), m.group(2)))
        m = re.match(r"#\s*lint:\s*(.*)$", line)
        if m:
            for item in m.group(1).split():
                key, _, value = item.partition("=")
                options[key] = int(value) if key == "cap" else float(value)
    return expected, options


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture(path):
    expected, options = headers(path)
    report = lint(path.relative_to(ROOT), **options)
    got = {(f.code, f"{f.line}:{f.col}") for f in report.findings}
    assert got == expected, report.render()
    assert report.exit_code == (1 if any(f.severity == "error" for f in report.findings) else 0)


def test_every_rule_has_a_fixture():
    have = {p.name[:5] for p in FIXTURES}
    assert set(RULES) <= have, sorted(set(RULES) - have)
    for code, rule in RULES.items():
        assert re.fullmatch(r"AS\d{3}", code)
        assert rule.doc() and rule.name and rule.severity in ("error", "warning", "info")


@pytest.mark.parametrize("name", shipped_names())
def test_shipped_spaces_lint_clean(name):
    path = Path("spaces") / f"{name}.arch"
    t = time.process_time()  # CPU time: other processes on a loaded CI machine do not count
    report = lint(path)
    elapsed = time.process_time() - t
    assert report.errors == 0, report.render()
    assert {f.code for f in report.findings if f.severity != "info"} <= EXPECTED_WARNINGS, \
        report.render()
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def test_library_files_lint_clean():
    report = lint(sorted((SPACES / "lib").glob("*.arch")))
    assert report.findings == [], report.render()


def test_counterexample_in_the_finding():
    report = lint("tests/lint_fixtures/AS101_shape_mismatch.arch")
    (f,) = report.findings
    assert f.data["counterexample"]["g[0]/bypass"] is True
    assert f.data["shapes"] == ["16x16x128", "16x16x96"]
    assert f.data["verified"] is True
    assert "g[0]/bypass = true" in f.message


def test_lint_a_parsed_space_and_budget_options():
    s = archspace.parse_file(SPACES / "squeezenet_se_auto.arch")
    assert lint(s).findings == []
    over = lint(s, max_params=1e6)            # the largest (1,324,042) breaks it
    (f,) = over.findings
    assert (f.code, f.severity) == ("AS110", "warning")
    under = lint(s, max_bytes=100_000)        # even the smallest (113,320 bytes) breaks it
    (f,) = under.findings
    assert (f.code, f.severity) == ("AS110", "error") and under.exit_code == 1
    assert lint(s, max_macs=1e9).findings == []


def test_select_and_ignore():
    path = "tests/lint_fixtures/AS105_degenerate_domain.arch"
    assert {f.code for f in lint(path).findings} == {"AS105"}
    assert lint(path, ignore=["AS105"]).findings == []
    assert lint(path, select=["AS1"], ignore=["AS10"]).findings == []
    assert len(lint(path, select=["AS105"]).findings) == 3
    with pytest.raises(ValueError):
        lint(path, select=["XX1"])


# ---- the command line ------------------------------------------------------------------------
def test_cli_exit_codes(capsys):
    assert main(["lint", "spaces/squeezenet_se_auto.arch"]) == 0
    assert "no problems" in capsys.readouterr().out
    assert main(["lint", "tests/lint_fixtures/AS101_shape_mismatch.arch"]) == 1
    out = capsys.readouterr().out
    assert "AS101_shape_mismatch.arch:10:14: error: AS101" in out
    assert main(["lint", "tests/lint_fixtures/AS107_unused_param.arch"]) == 0  # warning only
    assert main(["lint"]) == 2
    assert main(["lint", "no/such/file.arch"]) == 2
    assert main(["lint", "--select", "AS9", "spaces/squeezenet.arch"]) == 2
    assert main(["lint", "--format", "xml", "spaces/squeezenet.arch"]) == 2


def test_cli_rules(capsys):
    assert main(["lint", "--rules"]) == 0
    out = capsys.readouterr().out
    for code, rule in RULES.items():
        assert code in out and rule.name in out


def test_cli_json_and_budget(capsys):
    rc = main(["lint", "--format", "json", "--max-params", "1e6",
               "spaces/squeezenet_se_auto.arch"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    (f,) = data["findings"]
    assert f["code"] == "AS110" and f["severity"] == "warning" and f["data"]["value"] == 1_324_042
    assert data["summary"] == {"files": 1, "errors": 0, "warnings": 1, "infos": 0}


def test_cli_github_format(capsys):
    rc = main(["lint", "--format", "github", "tests/lint_fixtures/AS101_shape_mismatch.arch",
               "tests/lint_fixtures/AS107_unused_param.arch"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert rc == 1
    assert lines[0].startswith("::error file=tests/lint_fixtures/AS101_shape_mismatch.arch,"
                               "line=10,col=14,")
    assert "title=AS101 shape-mismatch::" in lines[0]
    assert lines[1].startswith("::warning file=tests/lint_fixtures/AS107_unused_param.arch,"
                               "line=5,col=1")
    assert all("\n" not in line for line in lines)


def test_cli_sarif_format(capsys, tmp_path):
    out = tmp_path / "lint.sarif"
    rc = main(["lint", "--format", "sarif", "-o", str(out),
               "tests/lint_fixtures/AS101_shape_mismatch.arch"])
    assert rc == 1
    doc = json.loads(out.read_text())
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert set(RULES) <= set(ids)
    (res,) = run["results"]
    assert res["ruleId"] == "AS101" and ids[res["ruleIndex"]] == "AS101"
    assert res["level"] == "error"
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("AS101_shape_mismatch.arch")
    assert (loc["region"]["startLine"], loc["region"]["startColumn"]) == (10, 14)


def test_load_errors_are_findings_with_their_codes():
    for code in ("AS001", "AS002", "AS003", "AS004"):
        assert code in LOAD_CODES and code in RULES
    report = lint("tests/lint_fixtures/AS001_syntax_error.arch")
    (f,) = report.findings
    assert f.code == "AS001" and f.hint  # the tokens it expected


def test_pre_commit_hook_definition():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "id: archspace-lint" in text and "entry: archspace lint" in text
    assert r"files: \.arch$" in text or "files: '\\.arch$'" in text


def test_lint_never_imports_tensorflow():
    code = (
        "import sys\n"
        "import archspace\n"
        "report = archspace.lint(['spaces/squeezenet_se_auto.arch', 'spaces/unet.arch'])\n"
        "from archspace.cli import main\n"
        "rc = main(['lint', 'spaces/squeezenet_sem_auto.arch', 'tests/lint_fixtures/"
        "AS101_shape_mismatch.arch'])\n"
        "main(['show', 'spaces/squeezenet_se_auto.arch', '--diagram', 'mermaid'])\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'keras_tuner', 'jax', 'torch') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert report.errors == 0 and rc == 1, (report.errors, rc)\n"
        "print('clean')\n")
    env = dict(os.environ, COLUMNS="200")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip().endswith("clean")


def test_lint_walks_the_decisions_once(monkeypatch):
    """The loader's check walk is lint's StaticChecks: one decision walk per file, and the
    decision list it found is the one the rules read."""
    from archspace.ir import decisions as D

    walks = []
    run = D.Explorer.run
    monkeypatch.setattr(D.Explorer, "run", lambda self: (walks.append(type(self).__name__),
                                                         run(self))[1])
    path = SPACES / "cell_space.arch"
    lint(path)
    assert walks == ["StaticChecks"]
    walks.clear()
    report = lint(LINT_FIXTURES / "AS104_default_out_of_domain.arch")
    assert walks == ["StaticChecks"] and {f.code for f in report.findings} == {"AS104"}


def test_lint_of_a_plain_strategy_skips_the_search_package():
    code = ("import sys\n"
            "from archspace.analysis.lint import lint\n"
            "report = lint('spaces/squeezenet_sem_auto.arch')   # strategy = bayesian\n"
            "assert report.findings == [], report.findings\n"
            "assert 'archspace.search' not in sys.modules and 'numpy' not in sys.modules\n"
            "print('ok')\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr[-2000:]


# ---- AS110 severity: the default or every configuration -> error; some -> warning ----------
def test_budget_the_default_breaks_is_an_error():
    s = archspace.parse_file(SPACES / "squeezenet_se_auto.arch")
    report = lint(s, max_params=500_000)      # the default has 729,034; the smallest 28,330
    (f,) = report.findings
    assert (f.code, f.severity) == ("AS110", "error") and report.exit_code == 1
    assert "default configuration" in f.message and f.data["value"] == 729_034


def test_budget_strict_makes_some_an_error():
    s = archspace.parse_file(SPACES / "squeezenet_se_auto.arch")
    (f,) = lint(s, max_params=1e6).findings   # only some (the largest: 1,324,042) break it
    assert f.severity == "warning"
    strict = lint(s, max_params=1e6, strict=True)
    (f,) = strict.findings
    assert (f.code, f.severity) == ("AS110", "error") and strict.exit_code == 1
    assert lint(s, max_params=2e6, strict=True).findings == []


def test_budget_that_cannot_be_proved_is_a_warning_and_strict_an_error():
    path = LINT_FIXTURES / "AS112_check_incomplete.arch"
    loose = [f for f in lint(path, max_params=1e9, cap=2).findings if f.code == "AS110"]
    strict = [f for f in lint(path, max_params=1e9, cap=2, strict=True).findings
              if f.code == "AS110"]
    assert [f.severity for f in loose] == ["warning"] and "cannot prove" in loose[0].message
    assert [f.severity for f in strict] == ["error"]


def test_rule_texts_are_whole_sentences_and_help_links_exist():
    from archspace.analysis.report import help_uri, rule_text

    anchors = set()
    for line in (ROOT / "docs" / "lint.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):    # GitHub's anchor: lower case, spaces to '-', no punctuation
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^a-z0-9 _-]", "", title).replace(" ", "-"))
    for code in list(RULES) + list(LOAD_CODES):
        text = rule_text(code)
        if code in RULES:
            assert text.endswith((".", ")")), (code, text)
        uri = help_uri(code)
        assert uri.startswith("https://github.com/archspace/archspace/blob/main/docs/lint.md#")
        assert uri.partition("#")[2] in anchors, (code, uri)
    assert rule_text("AS102").endswith("a tap that is not there), with a counterexample.")
    assert "--strict" in rule_text("AS110")


def test_sarif_rules_whole_text_and_level(capsys):
    rc = main(["lint", "--format", "sarif", "--max-params", "500k",
               "spaces/squeezenet_se_auto.arch"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["AS110"]["defaultConfiguration"]["level"] == "error"
    assert "(warning; an error with --strict)" in rules["AS110"]["shortDescription"]["text"]
    assert rules["AS102"]["shortDescription"]["text"].endswith("with a counterexample.")
    assert rules["AS110"]["helpUri"].endswith("docs/lint.md#as110-over-budget")
    (res,) = doc["runs"][0]["results"]
    assert (res["ruleId"], res["level"]) == ("AS110", "error")
