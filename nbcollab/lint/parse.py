"""Each code cell parsed once: its module-level events, or why it could not be read."""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

from nbcollab.lint.cells import CodeCell
from nbcollab.lint.dataflow import Event, cell_events
from nbcollab.lint.finding import Finding, Note
from nbcollab.lint.magics import PythonCell, to_python


@dataclass
class ParsedCell:
    """A code cell with its events; ``unknown_names`` when it may bind names nobody can list."""

    cell: CodeCell
    events: list[Event]
    unknown_names: bool
    python: PythonCell
    tree: ast.Module | None = None

    def column(self, line: int, col_offset: int) -> int:
        """The 1-based character column in the cell of ``ast``'s UTF-8 ``col_offset``."""
        lines = (self.python.source or "").split("\n")
        text = lines[line - 1] if 1 <= line <= len(lines) else ""
        chars = len(text.encode("utf-8")[:col_offset].decode("utf-8", "replace"))
        return chars + 1 + self.python.column_shift.get(line, 0)


def parse_cells(
    cells: list[CodeCell], *, python_major: int
) -> tuple[list[ParsedCell], list[Finding], list[Note]]:
    """Parse every non-blank code cell; D204 for Python 3 cells that do not parse."""
    parsed: list[ParsedCell] = []
    errors: list[Finding] = []
    notes: list[Note] = []
    for cell in cells:
        if cell.is_blank:
            continue
        python, tree, error = _parse(cell.source)
        if error is not None:
            if python_major == 3:
                errors.append(_syntax_finding(cell, python, error))
            else:
                message = f"not Python 3 syntax ({error.msg}): names not checked"
                notes.append(Note(message, cell.index))
        try:
            events = cell_events(tree) if tree is not None else []
        except RecursionError:  # nested deeper than the walker can follow: names unknown
            tree, events, error = None, [], SyntaxError("nested too deeply to check")
            notes.append(Note("nested too deeply: names not checked", cell.index))
        events[:0] = [Event("def", name, 1, 0) for name in python.defines]
        unknown = python.unknown_names or error is not None
        parsed.append(ParsedCell(cell, events, unknown, python, tree))
    return parsed, errors, notes


def _parse(source: str) -> tuple[PythonCell, ast.Module | None, SyntaxError | None]:
    plain = PythonCell(source=source)
    first_error = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for "\d" in old notebooks
        try:
            return _checked(plain, ast.parse(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            first_error = exc
        python = to_python(source)
        if python.source is None:
            return python, None, None
        try:
            return _checked(python, ast.parse(python.source))
        except SyntaxError as exc:
            return python, None, exc
        except (ValueError, RecursionError, MemoryError):
            pass
    error = first_error if isinstance(first_error, SyntaxError) else SyntaxError(str(first_error))
    return python, None, error


def _checked(
    python: PythonCell, tree: ast.Module
) -> tuple[PythonCell, ast.Module | None, SyntaxError | None]:
    """The tree, unless the compiler refuses it (``return`` or ``break`` outside their place):
    then nothing in the cell runs. IPython compiles each top-level statement on its own, so a
    ``from __future__`` import after other statements and top-level ``await`` are fine."""
    try:
        for node in tree.body:
            compile(
                ast.Module([node], type_ignores=[]),
                "<cell>",
                "exec",
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                dont_inherit=True,
            )
    except SyntaxError as exc:
        return python, None, exc
    except (ValueError, RecursionError, MemoryError):
        pass  # too deep to compile here; the names are still worth checking
    return python, tree, None


def _syntax_finding(cell: CodeCell, python: PythonCell, error: SyntaxError) -> Finding:
    line = error.lineno or 1
    column = max(error.offset or 1, 1)  # already 1-based characters
    return Finding(
        "D204",
        f"not valid Python: {error.msg}",
        cell.index,
        cell.cell_id,
        cell.count,
        line,
        column + python.column_shift.get(line, 0),
    )
