"""``--execute``: run a notebook top to bottom in a fresh kernel, as Restart & Run All does.

Reports the cell that raises (X401, with the error and its line), a cell that runs past the
per-cell or total timeout (X403), and stored outputs the re-run does not reproduce (X402).
The kernel runs in the notebook's folder. nbclient, ipykernel and nbformat are imported here
only, so static lint never pays for them.
"""

from __future__ import annotations

import copy
import re
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

from nbcollab.errors import NbcollabError
from nbcollab.lint.files import FileResult
from nbcollab.lint.finding import Finding
from nbcollab.lint.options import LintOptions
from nbcollab.lint.outputs import comparison_rewriter, first_difference
from nbcollab.options import NormalizeOptions

_CELL_LINE = re.compile(r"(?:Cell In\[\d*\], line |----> ?|^\s*-+> )(\d+)", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_DEFAULT_NORMALIZE = NormalizeOptions()


class ExecuteUnavailable(NbcollabError):
    """nbclient or ipykernel is not installed, or the kernel cannot start."""


def run_notebook(
    path: Path,
    *,
    kernel: str | None,
    cell_timeout: float,
    timeout: float | None,
    normalize: NormalizeOptions = _DEFAULT_NORMALIZE,
) -> tuple[list[Finding], Any]:
    """Run ``path`` in a fresh kernel; its findings and the executed notebook (nbformat)."""
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import (
            CellExecutionError,
            CellTimeoutError,
            DeadKernelError,
        )
    except ImportError as exc:
        raise ExecuteUnavailable(
            f"--execute needs nbclient and ipykernel ({exc.name} is missing): "
            "pip install 'nbcollab[execute]'"
        ) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat's warnings about ids in old notebooks
        nb = nbformat.read(str(path), as_version=4)
    stored = copy.deepcopy(nb.cells)
    deadline = time.monotonic() + timeout if timeout else None

    def cell_limit(cell: Any) -> int:
        if deadline is None:
            return max(int(cell_timeout), 1)
        return max(1, min(int(cell_timeout), int(deadline - time.monotonic())))

    name = kernel or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    client = NotebookClient(
        nb,
        timeout=int(cell_timeout),
        timeout_func=cell_limit,
        kernel_name=name,
        resources={"metadata": {"path": str(path.parent)}},
    )
    running = [0]
    client.on_cell_start = lambda cell, cell_index: running.__setitem__(0, cell_index)
    findings: list[Finding] = []
    failed_at = len(nb.cells)
    try:
        _execute(client, path, name)
    except CellTimeoutError:
        failed_at = running[0]
        over_total = deadline is not None and time.monotonic() >= deadline - 1
        findings.append(
            _at(
                nb,
                stored,
                failed_at,
                "X403",
                (
                    f"the notebook ran past its total timeout of {timeout:g} s here"
                    if over_total
                    else f"the cell ran past the per-cell timeout of {cell_timeout:g} s"
                ),
            )
        )
    except CellExecutionError as exc:
        failed_at = running[0]
        findings.append(_error_finding(nb, stored, failed_at, exc))
    except DeadKernelError:
        failed_at = running[0]
        died = "the kernel died while running this cell; Restart & Run All stops here"
        findings.append(_at(nb, stored, failed_at, "X401", died))
    findings += _not_reproduced(nb, stored, upto=failed_at, normalize=normalize)
    return findings, nb


def _execute(client: Any, path: Path, kernel: str) -> None:
    from jupyter_client.kernelspec import NoSuchKernel

    try:
        # The kernel's own chatter (its start-up warnings) is not the notebook's output.
        client.execute(cwd=str(path.parent), stderr=subprocess.DEVNULL)
    except NoSuchKernel:
        raise ExecuteUnavailable(
            f"{path}: kernel {kernel!r} is not installed (--kernel NAME runs another)"
        ) from None
    except RuntimeError as exc:
        from nbclient.exceptions import DeadKernelError

        if isinstance(exc, DeadKernelError) or "kernel" not in str(exc).lower():
            raise
        raise ExecuteUnavailable(f"{path}: the kernel failed to start ({exc})") from None


def _at(nb: Any, stored: list[Any], index: int, code: str, message: str, line: int = 1) -> Finding:
    cell = stored[index]
    return Finding(code, message, index + 1, cell.get("id"), cell.get("execution_count"), line, 1)


def _error_finding(nb: Any, stored: list[Any], index: int, exc: Any) -> Finding:
    traceback = _ANSI.sub("", str(getattr(exc, "traceback", "") or exc))
    lines = [int(m) for m in _CELL_LINE.findall(traceback)]
    ename, evalue = getattr(exc, "ename", "Error"), str(getattr(exc, "evalue", "") or "")
    source_lines = nb.cells[index].source.split("\n")
    line = lines[0] if lines and lines[0] <= len(source_lines) else 1
    where = source_lines[line - 1].strip()
    error = f"{ename}: {evalue.splitlines()[0]}" if evalue.strip() else ename
    return _at(
        nb,
        stored,
        index,
        "X401",
        (f"raises {error} at `{where}`; Restart & Run All stops here"),
        line,
    )


def _not_reproduced(
    nb: Any, stored: list[Any], *, upto: int, normalize: NormalizeOptions
) -> list[Finding]:
    rewrite = comparison_rewriter(normalize)
    found = []
    for index in range(min(upto, len(nb.cells))):
        old, new = stored[index], nb.cells[index]
        if old.cell_type != "code" or not old.get("outputs"):
            continue  # nothing stored to compare (a cleaned notebook)
        difference = first_difference(old.outputs, new.get("outputs", []), rewrite)
        if difference:
            found.append(_at(nb, stored, index, "X402", f"output not reproduced: {difference}"))
    return found


def execute_file(result: FileResult, options: LintOptions, *, write: bool) -> None:
    """Run ``result``'s notebook and add the enabled --execute findings to it (in place)."""
    from nbcollab.lint.cells import code_cells
    from nbcollab.lint.codes import enabled_codes
    from nbcollab.lint.files import place, read_text
    from nbcollab.lint.locate import SourceLocator
    from nbcollab.lint.notebook import keep

    path = Path(result.path)
    findings, executed = run_notebook(
        path,
        kernel=options.kernel,
        cell_timeout=options.cell_timeout,
        timeout=options.timeout,
        normalize=options.normalize_options,
    )
    text = read_text(path)
    enabled = enabled_codes(options.select, options.extend_select, options.ignore)
    cells = code_cells(result.notebook) if result.notebook is not None else []
    locator = SourceLocator(text)
    kept = [place(f, locator, path=result.path) for f in keep(findings, cells, enabled)]
    result.findings = sorted([*result.findings, *kept], key=lambda f: (f.cell, f.line, f.code))
    if write and not any(f.code in ("X401", "X403") for f in findings):
        _write(path, executed, text)  # only a complete run: never half new, half stale


def _write(path: Path, executed: Any, before: str) -> None:
    import nbformat

    from nbcollab.files import write_atomic

    after = nbformat.writes(executed) + "\n"
    if after != before:
        write_atomic(path, after.encode("utf-8"))
