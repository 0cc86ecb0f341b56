"""``--execute``: a notebook's run (``nbcollab.execute``) as lint findings, placed in the file.

X401 a cell raises or the kernel dies there, X402 a stored output the run does not reproduce,
X403 a cell past the per-cell or total timeout. ``lint --execute`` and ``nbcollab execute``
report runs through these findings, so every lint format (text, JSON, GitHub annotations,
SARIF) points at the ``.ipynb`` line of the cell.
"""

from __future__ import annotations

from pathlib import Path

from nbcollab.errors import NbcollabError
from nbcollab.execute.result import Executed, NotebookRun, ProblemKind
from nbcollab.lint.files import FileResult
from nbcollab.lint.finding import Finding
from nbcollab.lint.options import LintOptions

CODE_OF = {
    ProblemKind.RAISES: "X401",
    ProblemKind.DIED: "X401",
    ProblemKind.NOT_REPRODUCED: "X402",
    ProblemKind.TIMEOUT: "X403",
    ProblemKind.NOTEBOOK_TIMEOUT: "X403",
}
EXECUTE_CODES = frozenset(CODE_OF.values())


def run_findings(run: NotebookRun, enabled: frozenset[str]) -> FileResult:
    """``run`` as a lint result: its enabled findings, placed in the file.

    Problems that are not enabled or that a cell's ``lint-ignore`` tag exempts are dropped from
    ``run`` too, so that its summary and every report agree.
    """
    from nbcollab.lint.cells import code_cells
    from nbcollab.lint.files import place, read_text
    from nbcollab.lint.locate import SourceLocator
    from nbcollab.lint.notebook import keep
    from nbcollab.notebook.codec import parse_notebook

    if run.error is not None:
        return FileResult(run.path, error=run.error)
    if not run.problems:
        return FileResult(run.path)
    path = Path(run.path)
    try:
        text = read_text(path)
    except NbcollabError as exc:  # changed since it ran
        return FileResult(run.path, error=str(exc))
    nb = parse_notebook(text.removeprefix("\ufeff"), path=run.path)
    findings = [
        Finding(CODE_OF[p.kind], p.message, p.cell, p.cell_id, p.execution_count, p.line, 1)
        for p in run.problems
    ]
    locator = SourceLocator(text)
    kept = keep(findings, code_cells(nb), enabled)
    wanted = {(f.cell, f.code) for f in kept}
    run.problems = [p for p in run.problems if (p.cell, CODE_OF[p.kind]) in wanted]
    return FileResult(run.path, [place(f, locator, nb, path=run.path) for f in kept])


def add_run_findings(result: FileResult, run: NotebookRun, options: LintOptions) -> None:
    """Add ``run``'s enabled findings to ``result`` (in place), after its static ones."""
    from nbcollab.lint.codes import enabled_codes

    enabled = enabled_codes(options.select, options.extend_select, options.ignore)
    found = run_findings(run, enabled)
    if found.error is not None:
        result.error = found.error
    result.findings = sorted(
        [*result.findings, *found.findings], key=lambda f: (f.cell, f.line, f.code)
    )


def write_run(path: Path, executed: Executed) -> bool:
    """Save a complete run's outputs and counts into the notebook; True when its bytes changed."""
    import warnings

    from nbcollab.execute.key import normalized_code
    from nbcollab.files import read_file_bytes, write_atomic
    from nbcollab.nbformat_loader import load_nbformat

    nbformat = load_nbformat()

    before = read_file_bytes(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat's warnings about ids in old notebooks
        nb = nbformat.reads(before.decode("utf-8-sig"), as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if len(code) != len(executed.outputs) or normalized_code(nb) != executed.code:
        # Its code was saved meanwhile: the run's outputs are not what this code gives.
        raise NbcollabError(
            f"{path}: its code changed while it ran; not written (run lint --execute --write "
            "again to save the outputs of the code as it is now)"
        )
    for cell, outputs, count in zip(code, executed.outputs, executed.counts):
        cell.outputs = [nbformat.from_dict(output) for output in outputs]
        cell.execution_count = count
    if executed.language_info:
        nb.metadata["language_info"] = nbformat.from_dict(executed.language_info)
    after = (nbformat.writes(nb) + "\n").encode("utf-8")
    if after == before:
        return False
    write_atomic(path, after)
    return True
