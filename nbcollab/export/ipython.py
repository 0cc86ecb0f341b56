"""Turn IPython syntax into plain Python, line for line, or say why it cannot be done.

What each line is comes from the one classifier, ``nbcollab.notebook.ipython`` (the same that
``lint`` reads cells with); here each kind becomes the module's Python. Every line keeps its line
number: a removed line becomes a comment (``pass`` with a comment when indented, so that a block
whose only statement was a magic stays valid Python); ``%time STMT`` keeps its statement; a cell
magic makes the whole cell something else than Python (skipped), and ``x = !cmd`` has no Python
equivalent (an error, or skipped with ``--lenient``).
"""

from __future__ import annotations

from nbcollab.export.model import Line
from nbcollab.notebook.ipython import IPythonLine, LineKind, classify_cell
from nbcollab.safe_text import terminal_safe


class IPythonCell(Exception):
    """The cell cannot be exported; the message says why (a cell magic, an assigned magic)."""

    def __init__(self, message: str, *, line: int, skip: bool) -> None:
        super().__init__(message)
        self.line = line
        self.skip = skip  # True: skipped with a warning; False: an error unless lenient


def strip_ipython(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """The lines with IPython syntax made Python; raises IPythonCell for cells that cannot be."""
    classified = classify_cell(lines)
    if classified.magic is not None:
        magic = _short(f"%%{classified.magic.name}")
        raise IPythonCell(
            f"cell magic {magic}: the cell is not Python", line=classified.magic.line, skip=True
        )
    out: list[Line] = []
    removed_indent = ""  # the indentation of the last removed line, for its continuation lines
    for line in classified.lines:
        if line.kind is LineKind.ASSIGNED:
            raise IPythonCell(
                f"{_short(line.body)!s} assigns the result of IPython syntax, which has "
                "no Python equivalent",
                line=line.number,
                skip=False,
            )
        if line.kind is LineKind.LINE_MAGIC and line.magic.startswith("%"):
            raise IPythonCell(
                f"cell magic {_short('%' + line.magic)} below the cell's first line: IPython "
                "runs it as a line magic, which fails",
                line=line.number,
                skip=True,
            )
        if line.kind is not LineKind.CONTINUATION:
            removed_indent = line.indent
        out.append((line.number, _as_python(line, removed_indent)))
    return tuple(out)


def _as_python(line: IPythonLine, removed_indent: str) -> str:
    """What the module holds for one line."""
    kind = line.kind
    if kind is LineKind.PYTHON:
        return line.text
    if kind is LineKind.CONTINUATION:
        return f"{removed_indent}# nbcollab: (continued) {_short(line.text)}"
    if line.statement:
        return line.indent + line.statement
    what = "line magic" if kind is LineKind.AUTOMAGIC else kind.value
    note = f"# nbcollab: removed IPython {what}: {_short(line.body)}"
    return f"{line.indent}pass  {note}" if line.indent else note


def _short(body: str) -> str:
    """The IPython line as a safe one-line comment text (printable, at most 80 characters)."""
    text = terminal_safe(body.strip(), one_line=True)
    return text if len(text) <= 80 else text[:77] + "..."
