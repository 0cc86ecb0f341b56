"""IPython syntax to parseable Python, line for line, so positions in the cell stay true.

Only cells that do not parse as Python are transformed (a line starting with ``%`` is never valid
Python at the start of a statement, so valid Python is never touched). What each line is comes
from the one classifier, ``nbcollab.notebook.ipython``; here each kind becomes Python for the
checks: magics, shell commands and help requests become ``pass``, an assigned one ``target =
None``, with the same indentation; ``%time STMT`` keeps its statement. A cell magic whose body is
Python (``%%time``, ``%%capture``) keeps its body; any other (``%%bash``, ``%%sql``, ``%%html``)
is not Python. Magics that define names nobody can list (``%run``, ``%pylab``, ``%store -r``,
``%load``) mark the cell as an unknown source of names, like a star import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbcollab.notebook.ipython import IPythonLine, LineKind, classify_source

PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# Cell magics whose body runs outside Python and binds no Python name; any other (``%%cython``,
# ``%%R -o x``, ``%%sql x <<``) may bind names nobody can list.
_INERT_CELL_MAGICS = frozenset(
    {
        "bash",
        "sh",
        "html",
        "HTML",
        "javascript",
        "js",
        "latex",
        "markdown",
        "svg",
        "writefile",
        "file",
        "script",
        "perl",
        "ruby",
        "system",
        "sx",
        "!",
        "python2",
        "python3",
        "pypy",
    }
)
_UNKNOWN_NAMES_MAGICS = frozenset({"run", "pylab", "store", "load", "loadpy", "macro"})


@dataclass
class PythonCell:
    """The Python of one cell: its source (``None`` when the cell is not Python) and extras."""

    source: str | None
    column_shift: dict[int, int] = field(default_factory=dict)  # line -> columns removed
    defines: tuple[str, ...] = ()  # names a magic binds (``%%capture out``)
    unknown_names: bool = False  # a magic binds names nobody can list (``%run``)
    transformed: bool = False


def to_python(source: str) -> PythonCell:
    """The cell's source as Python, line for line (see the module docstring)."""
    classified = classify_source(source)
    magic = classified.magic
    if magic is not None and magic.name not in PYTHON_CELL_MAGICS:
        unknown = magic.name not in _INERT_CELL_MAGICS
        return PythonCell(source=None, transformed=True, unknown_names=unknown)
    cell = PythonCell(source=None, transformed=magic is not None)
    if magic is not None and magic.name == "capture":
        targets = [word for word in magic.argument.split() if not word.startswith("-")]
        cell.defines = tuple(targets[:1])
    out: list[str] = []
    for line in classified.lines:
        python = _as_python(line)
        if line.dedent:
            cell.column_shift[line.number] = line.dedent
        if line.statement:
            cell.column_shift[line.number] = line.dedent + line.statement_column - len(line.indent)
        if line.kind is not LineKind.PYTHON:
            cell.transformed = True
        cell.unknown_names |= _binds_unknown_names(line)
        out.append(python)
    cell.source = "\n".join(out)
    return cell


def _as_python(line: IPythonLine) -> str:
    """What the checks read for one line."""
    kind = line.kind
    if kind is LineKind.PYTHON:
        return line.text
    if kind in (LineKind.CELL_MAGIC, LineKind.CONTINUATION):
        return ""
    if kind is LineKind.ASSIGNED:
        return f"{line.indent}{line.target} = None"
    if line.statement:
        return line.indent + line.statement
    return f"{line.indent}pass"


def _binds_unknown_names(line: IPythonLine) -> bool:
    if line.kind not in (LineKind.LINE_MAGIC, LineKind.AUTOMAGIC):
        return False
    name = line.magic
    return name in _UNKNOWN_NAMES_MAGICS and (name != "store" or "-r" in line.argument.split())
