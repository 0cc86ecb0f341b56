"""Render lint results: text for people, JSON, GitHub workflow commands, SARIF 2.1.0.

Every format carries the notebook path, the cell (1-based index, id, execution count), the line
and column in the cell, the line and column in the .ipynb file, so that annotations land on the
right line of the file, and the finding's severity (GitHub's ``::error``/``::warning``/
``::notice``, SARIF's ``level``). Text from notebooks is escaped for the terminal and for GitHub's
workflow-command syntax: a notebook cannot inject escape sequences or commands.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nbcollab import __version__
from nbcollab.lint.codes import CODES, Severity, severity_of
from nbcollab.lint.files import FileResult
from nbcollab.lint.finding import Finding
from nbcollab.lint.formats import Format
from nbcollab.notebook.cells import cell_name
from nbcollab.safe_text import terminal_safe

# Formats read by a machine that resolves paths from the repository's top (a CI job may run in
# a sub-folder): GitHub's annotations, code scanning's SARIF.
_FROM_TOP = (Format.GITHUB, Format.SARIF)
_SRCROOT = "%SRCROOT%"  # SARIF's usual base: the root of the sources analysed


def render(results: list[FileResult], fmt: Format, *, top: Path | None = None) -> str:
    """The report for ``results`` in ``fmt`` (empty text when nothing to say); GitHub's and
    SARIF's name each file relative to ``top`` (the repository's, see ``report_top``)."""
    if top is not None and fmt in _FROM_TOP:
        results = [_from_top(result, top) for result in results]
    return {
        Format.TEXT: render_text,
        Format.JSON: render_json,
        Format.GITHUB: render_github,
        Format.SARIF: render_sarif,
    }[fmt](results)


def report_top(fmt: Format) -> Path | None:
    """The top of the repository the current folder is in, for a format whose paths are read
    from there (None for the others, or outside a repository: paths stay as given)."""
    if fmt not in _FROM_TOP:
        return None
    from nbcollab.gitcmd import git_output

    top = git_output(["rev-parse", "--show-toplevel"])
    return Path(top) if top else None


def _from_top(result: FileResult, top: Path) -> FileResult:
    import dataclasses

    def named(path: str) -> str:
        absolute = os.path.abspath(path)
        inside = absolute == str(top) or absolute.startswith(str(top).rstrip(os.sep) + os.sep)
        return Path(os.path.relpath(absolute, top)).as_posix() if inside else path

    findings = [dataclasses.replace(f, path=named(f.path)) for f in result.findings]
    return dataclasses.replace(result, path=named(result.path), findings=findings)


def _where(f: Finding) -> str:
    cell = cell_name(f.cell - 1, cell_id=f.cell_id)
    count = f", count {f.execution_count}" if f.execution_count is not None else ""
    return f"{cell}, line {f.line}{count}"


def render_text(results: list[FileResult]) -> str:
    lines = []
    for result in results:
        for f in result.findings:
            place = f"{f.file_line}:{f.file_column}:" if f.file_line else ""
            lines.append(
                terminal_safe(
                    f"{f.path}:{place} {f.code} {severity_of(f.code).value}: {f.message} "
                    f"[{_where(f)}]",
                    one_line=True,
                )
            )
    total = sum(len(r.findings) for r in results)
    if total:
        notebooks = sum(1 for r in results if r.findings)
        lines.append(f"{total} finding(s) in {notebooks} notebook(s): {_by_severity(results)}")
    return "".join(line + "\n" for line in lines)


def _by_severity(results: list[FileResult]) -> str:
    """``1 error, 2 notes``: how many findings of each severity, worst first."""
    counts = dict.fromkeys(sorted(Severity, key=lambda s: -s.rank), 0)
    for result in results:
        for f in result.findings:
            counts[severity_of(f.code)] += 1
    return ", ".join(f"{n} {severity.value}{'s' * (n != 1)}" for severity, n in counts.items() if n)


def _finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "path": f.path,
        "code": f.code,
        "name": CODES[f.code].name,
        "severity": severity_of(f.code).value,
        "message": f.message,
        "cell": f.cell,
        "cell_id": f.cell_id,
        "execution_count": f.execution_count,
        "line": f.line,
        "column": f.column,
        "file_line": f.file_line,
        "file_column": f.file_column,
        "symbol": f.symbol or None,
    }


def render_json(results: list[FileResult]) -> str:
    document = {
        "version": 1,
        "findings": [_finding_dict(f) for r in results for f in r.findings],
        "notes": [
            {"path": r.path, "cell": n.cell, "message": n.message} for r in results for n in r.notes
        ],
        "errors": [{"path": r.path, "message": r.error} for r in results if r.error],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _github_escape(text: str, *, property_: bool = False) -> str:
    text = terminal_safe(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


_GITHUB_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def render_github(results: list[FileResult]) -> str:
    lines = []
    for result in results:
        for f in result.findings:
            props = f"file={_github_escape(f.path, property_=True)}"
            if f.file_line:
                props += f",line={f.file_line},col={f.file_column}"
            props += f",title={_github_escape(f.code + ' ' + CODES[f.code].name, property_=True)}"
            command = _GITHUB_COMMANDS[severity_of(f.code)]
            lines.append(f"::{command} {props}::{_github_escape(f'{f.message} [{_where(f)}]')}")
        if result.error:
            lines.append(
                f"::error file={_github_escape(result.path, property_=True)}::"
                f"{_github_escape(result.error)}"
            )
    return "".join(line + "\n" for line in lines)


def _artifact(path: str) -> dict[str, str]:
    """A SARIF artifact location: an absolute path as a file URI, a relative one relative to
    the sources' root (``%SRCROOT%``), percent-encoded."""
    location = Path(path)
    if location.is_absolute():
        return {"uri": location.as_uri()}
    return {"uri": quote(location.as_posix().removeprefix("./")), "uriBaseId": _SRCROOT}


def _sarif_rules(codes: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": code,
            "name": CODES[code].name,
            "shortDescription": {"text": CODES[code].summary},
            "defaultConfiguration": {"level": CODES[code].severity.value},
        }
        for code in codes
    ]


def _sarif_result(f: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(f.file_line, 1)}
    if f.file_column:
        region["startColumn"] = f.file_column
    return {
        "ruleId": f.code,
        "ruleIndex": rule_index[f.code],
        "level": severity_of(f.code).value,  # SARIF's levels are named as ours
        "message": {"text": f"{f.message} [{_where(f)}]"},
        "locations": [
            {"physicalLocation": {"artifactLocation": _artifact(f.path), "region": region}}
        ],
        "properties": {
            "cell": f.cell,
            "cellId": f.cell_id,
            "executionCount": f.execution_count,
            "cellLine": f.line,
            "cellColumn": f.column,
        },
    }


def render_sarif(results: list[FileResult]) -> str:
    codes = sorted(CODES)
    rule_index = {code: i for i, code in enumerate(codes)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "nbcollab lint",
                "version": __version__,
                "rules": _sarif_rules(codes),
            }
        },
        "columnKind": "unicodeCodePoints",  # columns count characters, as Python does
        "results": [_sarif_result(f, rule_index) for r in results for f in r.findings],
        "invocations": [
            {
                "executionSuccessful": not any(r.error for r in results),
                "toolExecutionNotifications": [
                    {
                        "level": "error",
                        "message": {"text": r.error},
                        "locations": [
                            {"physicalLocation": {"artifactLocation": _artifact(r.path)}}
                        ],
                    }
                    for r in results
                    if r.error
                ],
            }
        ],
    }
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
