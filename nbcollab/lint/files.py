"""Lint notebook files: read each file, lint it, place findings in the file.

A file that cannot be read or is not a notebook becomes an error result naming it; the other
files are still linted. Each notebook follows the options the caller gives for it (its own
folder's ``[tool.nbcollab.lint]``, from ``nbcollab.config.folders``).
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from nbcollab.errors import InvalidNotebook, NbcollabError
from nbcollab.lint.finding import Finding, Note
from nbcollab.lint.locate import SourceLocator
from nbcollab.lint.notebook import lint_notebook
from nbcollab.lint.options import LintOptions
from nbcollab.notebook.codec import parse_notebook
from nbcollab.notebook.lines import Notebook, cell_source, iter_cells


@dataclass
class FileResult:
    """One file's findings and notes, or the error that stopped it from being linted."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    error: str | None = None


def read_text(path: Path) -> str:
    """A notebook file's text; InvalidNotebook naming it when it is not a readable file."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise InvalidNotebook(f"{path}: not a regular file")
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidNotebook(f"{path}: cannot read ({exc.strerror or exc})") from None
    parse_notebook(data, path=str(path))  # the one place that judges what a notebook is
    return data.decode("utf-8")


def lint_text(text: str, *, path: str, options: LintOptions) -> FileResult:
    """Lint a notebook's text (already known to parse) and place each finding in the file."""
    nb = parse_notebook(text.removeprefix("\ufeff"), path=path)
    result = lint_notebook(nb, options=options)
    locator = SourceLocator(text)
    findings = [place(f, locator, nb, path=path) for f in result.findings]
    # The result keeps no notebook: a folder of thousands is linted in the memory of one.
    return FileResult(path, findings, result.notes)


def place(finding: Finding, locator: SourceLocator, nb: Notebook, *, path: str) -> Finding:
    """The finding with its path, its line and column in the file and its source line."""
    file_line, file_column = locator.position(finding.cell, finding.line, finding.column)
    return replace(
        finding,
        path=path,
        file_line=file_line,
        file_column=file_column,
        source=source_line(nb, finding),
    )


def lint_files(
    paths: list[Path], options_for: Callable[[Path], LintOptions], *, jobs: int = 1
) -> Iterator[FileResult]:
    """Lint every notebook of ``paths`` on ``jobs`` processes, results in order; errors are
    results, never exceptions."""
    from nbcollab.workers import map_in_order

    work = [(path, options_for(path)) for path in paths]
    return map_in_order(lint_file, work, jobs=jobs)


def lint_file(job: tuple[Path, LintOptions]) -> FileResult:
    """Lint one notebook file (a worker's share of ``lint_files``)."""
    path, options = job
    try:
        return lint_text(read_text(path), path=str(path), options=options)
    except NbcollabError as exc:
        return FileResult(str(path), error=str(exc))
    except RecursionError:
        return FileResult(str(path), error=f"{path}: nested too deeply to lint")


def source_line(nb: Notebook, finding: Finding) -> str:
    """The stripped source line a finding points at ("" when it has none)."""
    cells = iter_cells(nb)
    if not 1 <= finding.cell <= len(cells):
        return ""
    lines = cell_source(cells[finding.cell - 1]).split("\n")
    return lines[finding.line - 1].strip() if 1 <= finding.line <= len(lines) else ""
