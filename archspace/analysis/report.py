"""Lint output formats: text (compiler style), json, github (workflow commands), sarif 2.1.0.
Plain strings: the CLI decides where they go."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import excerpt, sanitize
from .findings import RULES, Finding

if TYPE_CHECKING:  # pragma: no cover
    from .lint import LintReport

FORMATS = ("text", "json", "github", "sarif")
#: most findings the text and github formats show (json and sarif list every one)
MAX_SHOWN_FINDINGS = 200
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render(report: "LintReport", fmt: str = "text") -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}': one of {', '.join(FORMATS)}")
    return {"text": text, "json": as_json, "github": github, "sarif": sarif}[fmt](report)


def _where(f: Finding) -> str:
    return f"{f.path}:{f.line}:{f.col}"


def text_one(f: Finding) -> str:
    # user text (paths, names, strings in messages) with control characters made visible
    out = [sanitize(f"{_where(f)}: {f.severity}: {f.code} {f.message}", False)]
    out.extend(excerpt(f.span))
    if f.hint:
        out.append(f"  hint: {sanitize(f.hint, False)}")
    return "\n".join(out)


def _more(n: int) -> str:
    return f"... and {n} more (--format json lists them all)"


def text(report: "LintReport") -> str:
    parts = [text_one(f) for f in report.findings[:MAX_SHOWN_FINDINGS]]
    if len(report.findings) > MAX_SHOWN_FINDINGS:
        parts.append(_more(len(report.findings) - MAX_SHOWN_FINDINGS))
    n_files = len(report.files)
    files = f"{n_files} file{'s' if n_files != 1 else ''}"
    if not report.findings:
        parts.append(f"{files} checked: no problems")
    else:
        e, w, i = report.errors, report.warnings, report.count("info")
        counts = [f"{e} error{'s' if e != 1 else ''}", f"{w} warning{'s' if w != 1 else ''}"]
        if i:
            counts.append(f"{i} note{'s' if i != 1 else ''}")
        parts.append(f"{files} checked: " + ", ".join(counts))
    return "\n\n".join(parts[:-1]) + ("\n\n" if len(parts) > 1 else "") + parts[-1]


def as_json(report: "LintReport") -> str:
    return json.dumps(report.to_dict(), indent=2, default=str)


def _gh_escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    s = sanitize(s)
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def github(report: "LintReport") -> str:
    """GitHub Actions workflow commands: annotations on the changed files."""
    kind = {"error": "error", "warning": "warning", "info": "notice"}
    lines = []
    for f in report.findings[:MAX_SHOWN_FINDINGS]:
        props = [f"file={_gh_escape(f.path, True)}", f"line={f.line}", f"col={f.col}"]
        if f.span is not None and f.span.end_line:
            props.append(f"endLine={f.span.end_line}")
            if f.span.end_col and f.span.end_line == f.span.line:
                props.append(f"endColumn={f.span.end_col}")
        props.append(f"title={_gh_escape(f'{f.code} {f.rule}', True)}")
        msg = f.message + (f"\nhint: {f.hint}" if f.hint else "")
        lines.append(f"::{kind[f.severity]} {','.join(props)}::{_gh_escape(msg)}")
    if len(report.findings) > MAX_SHOWN_FINDINGS:
        lines.append(_more(len(report.findings) - MAX_SHOWN_FINDINGS))
    return "\n".join(lines)


def sarif(report: "LintReport") -> str:
    """SARIF 2.1.0, one run, every rule described (GitHub code scanning reads this)."""
    from .. import __version__
    from .findings import rule_table
    from .lint import LOAD_CODES

    table = rule_table()
    codes = [c for c, *_ in table]
    for f in report.findings:
        if f.code not in codes:
            codes.append(f.code)
    rules: list[dict[str, Any]] = []
    for code in codes:
        rule = RULES.get(code)
        name = rule.name if rule else LOAD_CODES.get(code, "error").replace(" ", "-")
        doc = rule_text(code)
        level = SARIF_LEVEL[rule.severity] if rule else "error"
        rules.append({"id": code, "name": name, "shortDescription": {"text": doc},
                      "defaultConfiguration": {"level": level},
                      "helpUri": help_uri(code)})
    results = []
    for f in report.findings:
        region: dict[str, Any] = {"startLine": f.line, "startColumn": f.col}
        if f.span is not None and f.span.end_line:
            region["endLine"] = f.span.end_line
            if f.span.end_col:
                region["endColumn"] = f.span.end_col
        msg = f.message + (f" (hint: {f.hint})" if f.hint else "")
        res: dict[str, Any] = {
            "ruleId": f.code, "ruleIndex": codes.index(f.code), "level": SARIF_LEVEL[f.severity],
            "message": {"text": msg},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.path},
                                                "region": region}}]}
        if f.data:
            res["properties"] = json.loads(json.dumps(f.data, default=str))
        results.append(res)
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "archspace", "version": __version__,
                                         "informationUri": "https://github.com/archspace/archspace",
                                         "rules": rules}},
                     "results": results}]}
    return json.dumps(doc, indent=2)


#: where each code is explained: docs/lint.md has one heading per code
DOCS_URL = "https://github.com/archspace/archspace/blob/main/docs/lint.md"


def rule_text(code: str) -> str:
    """The first paragraph of a rule's docstring, on one line (the first line alone may stop
    mid-sentence); a loader code's name for the codes without a rule class."""
    from .lint import LOAD_CODES

    rule = RULES.get(code)
    if rule is None or not rule.__doc__:
        return LOAD_CODES.get(code, "error")
    para = rule.__doc__.strip().split("\n\n")[0]
    return " ".join(line.strip() for line in para.splitlines())


def help_uri(code: str) -> str:
    """The docs/lint.md anchor of `code` (GitHub's anchor of the heading '`AS110` over-budget')."""
    from .lint import LOAD_CODES

    rule = RULES.get(code)
    name = rule.name if rule else LOAD_CODES.get(code, "error").replace(" ", "-")
    return f"{DOCS_URL}#{code.lower()}-{name}"
