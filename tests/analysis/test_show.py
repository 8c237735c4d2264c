"""`archspace show`: size of the space, model size ranges, the whole-space check, and
`--diagram` (Mermaid, DOT, SVG/PNG through Graphviz or a .dot fallback)."""

from __future__ import annotations

import importlib
import json
import os
import stat
import sys

import pytest

import archspace
from archspace.analysis import summarize
from archspace.analysis import diagram as D
from archspace.cli import console, main

from conftest import ROOT, shipped_names, shipped_space
from spaces_small import BAD_BYPASS, TOWERS

cli_app = importlib.import_module("archspace.cli.app")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(console.out, "width", 240)
    monkeypatch.setattr(console.err, "width", 240)
    monkeypatch.chdir(ROOT)
    yield
    cli_app.state["debug"] = False


def test_show_prints_sizes_and_ranges(capsys):
    assert main(["show", "spaces/squeezenet_se_auto.arch"]) == 0
    out = capsys.readouterr().out
    for text in ("25,765,100", "x continuous (drop/rate)", "group1", "10,100", "2,551",
                 "729,034", "28,330", "1,324,042", "MACs", "every configuration builds",
                 "smallest: group1 = 1, group2 = 0"):
        assert text in out, text


def test_show_json_summary(capsys):
    assert main(["show", "spaces/squeezenet_se_auto.arch", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    s = data["summary"]
    assert s["cardinality"]["architectures"] == 25_765_100
    assert s["cardinality"]["training"]["count"] == 4
    assert s["params"] == {"min": 28_330, "max": 1_324_042, "default": 729_034,
                           "exact": True, "min_is": "exact", "max_is": "exact"}
    assert s["bytes"]["max"] == 4 * 1_324_042
    assert s["check"]["ok"] and s["check"]["exact"]
    assert s["smallest"]["group1"] == 1


def test_show_reports_a_space_that_does_not_always_build(capsys, tmp_path):
    p = tmp_path / "bad.arch"
    p.write_text(BAD_BYPASS)
    s = archspace.parse_file(p)
    summary = summarize(s)
    assert not summary.report.ok
    summary.render(console)
    out = capsys.readouterr().out
    assert "some configuration does not build" in out and "g[0]/bypass = true" in out


@pytest.mark.parametrize("name", shipped_names())
def test_summary_of_every_shipped_space(name):
    s = shipped_space(name)
    d = summarize(s).to_dict()
    json.dumps(d, default=str)
    p = d["params"]
    assert p["min"] <= p["default"] <= p["max"]


# ---- diagrams -----------------------------------------------------------------------------------
def _balanced_mermaid(text: str) -> bool:
    depth = 0
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("subgraph "):
            depth += 1
        elif s == "end":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


@pytest.mark.parametrize("name", shipped_names())
def test_diagrams_of_every_shipped_space(name):
    s = shipped_space(name)
    m = D.to_mermaid(s)
    assert m.startswith("flowchart TD") and _balanced_mermaid(m)
    d = D.to_dot(s)
    assert d.startswith("digraph") and d.count("{") == d.count("}")


def test_diagram_shows_the_space_constructs():
    m = D.to_mermaid(shipped_space("squeezenet_se_auto"))
    assert 'subgraph c0["repeat group1[k] in 1..2, default 2 (copies)"]' in m
    assert '["optional se"]' in m and "stroke-dasharray" in m     # optional blocks dashed
    assert "-.->|off|" in m                                       # ... with a way around
    assert "optional skip bypass" in m and "(( " in m or "((\"merge add" in m
    assert '((\"merge concat as concat\"))' in m                  # the fire's merge point
    t = D.to_dot(archspace.parse(TOWERS, "towers.arch"))
    assert "towers(image, depth)" in t and "@a: merge point?" in t
    assert "shape=diamond" in D.to_dot(shipped_space("squeezenet"))   # choice version


def test_show_diagram_to_stdout_and_files(capsys, tmp_path):
    assert main(["show", "spaces/squeezenet.arch", "--diagram", "mermaid"]) == 0
    assert "flowchart TD" in capsys.readouterr().out
    target = tmp_path / "space.dot"
    assert main(["show", "spaces/squeezenet.arch", "--diagram", str(target)]) == 0
    assert target.read_text().startswith('digraph "squeezenet"')
    md = tmp_path / "space.md"
    assert main(["show", "spaces/squeezenet.arch", "--diagram", str(md)]) == 0
    assert md.read_text().startswith("```mermaid\nflowchart TD")
    capsys.readouterr()
    assert main(["show", "spaces/squeezenet.arch", "--json", "--diagram", "dot"]) == 0
    assert json.loads(capsys.readouterr().out)["diagram"].startswith("digraph")


def test_svg_without_graphviz_writes_the_dot(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(D.shutil, "which", lambda name: None)
    target = tmp_path / "space.svg"
    assert main(["show", "spaces/squeezenet.arch", "--diagram", str(target)]) == 0
    err = capsys.readouterr().err
    assert not target.exists() and (tmp_path / "space.dot").exists()
    assert "not installed" in err and "dot -Tsvg" in err


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for dot")
def test_svg_with_graphviz_runs_dot(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\n# fake graphviz: -Tsvg -o OUT, the graph on stdin\n'
                    'out="$3"; cat > "$out"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(D.shutil, "which", lambda name: str(fake))
    target = tmp_path / "space.svg"
    assert D.write_diagram(shipped_space("squeezenet"), str(target), console) == str(target)
    assert target.read_text().startswith('digraph "squeezenet"')
    monkeypatch.setenv("PATH", os.environ.get("PATH", ""))


def test_unknown_diagram_target_is_a_usage_error(capsys):
    assert main(["show", "spaces/squeezenet.arch", "--diagram", "out.txt"]) == 2
