"""A Markdown summary of a run of many notebooks, for ``$GITHUB_STEP_SUMMARY`` or a CI page.

Paths, messages and outputs come from notebooks, so every piece of text is escaped: no link,
image, HTML tag or table cell can be made by a notebook.
"""

from __future__ import annotations

import re

from nbcollab.execute.result import NotebookRun, Outcome, Summary

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MAX_ROWS = 200


def markdown_text(text: str, *, limit: int = 300) -> str:
    """``text`` as literal Markdown on one line (at most ``limit`` characters)."""
    flat = _CONTROL.sub(" ", text).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    flat = re.sub("[&<>]", lambda m: _ENTITIES[m.group()], flat)
    return _SPECIAL.sub(r"\\\1", flat)


def render_markdown(runs: list[NotebookRun], *, title: str = "nbcollab execute") -> str:
    """The summary line, one table row per failing cell or notebook that could not run, and
    the slowest of the notebooks run now."""
    summary = Summary.of(runs)
    lines = [f"### {markdown_text(title)}", "", f"**{summary.line()}**", ""]
    rows = []
    for run in runs:
        if run.error:
            rows.append((run.path, "", run.error))
        for problem in run.problems:
            cell = f"{problem.cell}" + (f" (id {problem.cell_id})" if problem.cell_id else "")
            rows.append((run.path, f"{cell}, line {problem.line}", problem.message))
    if rows:
        lines += ["| notebook | cell | problem |", "| --- | --- | --- |"]
        lines += [
            f"| {markdown_text(path)} | {markdown_text(cell)} | {markdown_text(message)} |"
            for path, cell, message in rows[:_MAX_ROWS]
        ]
        if len(rows) > _MAX_ROWS:
            lines.append(f"| … | | {len(rows) - _MAX_ROWS} more |")
        lines.append("")
    ran = (r for r in runs if r.outcome is Outcome.EXECUTED and r.seconds)
    slowest = sorted(ran, key=lambda r: -r.seconds)[:5]
    if slowest:
        shown = ", ".join(f"{markdown_text(r.path)} {r.seconds:.1f} s" for r in slowest)
        lines += [f"Slowest runs: {shown}", ""]
    return "\n".join(lines) + "\n"
