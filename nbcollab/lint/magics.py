"""IPython syntax to parseable Python, line for line, so positions in the cell stay true.

Only cells that do not parse as Python are transformed (a line starting with ``%`` is never valid
Python at the start of a statement, so valid Python is never touched). Magics, shell escapes
(``!ls``, ``x = !ls``) and help lines (``obj?``) become ``pass`` or ``NAME = None`` with the same
indentation. ``%time STMT`` keeps its statement. A cell magic whose body is Python (``%%time``,
``%%capture``) keeps its body; any other (``%%bash``, ``%%sql``, ``%%html``) is not Python.
Magics that define names nobody can list (``%run``, ``%pylab``, ``%store -r``, ``%load``) mark
the cell as an unknown source of names, like a star import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
_STATEMENT_MAGICS = frozenset({"time", "timeit", "prun", "debug"})

_MAGIC = re.compile(r"^(?P<indent>\s*)(?P<sigil>%|!)(?P<rest>.*)$")
_ASSIGNED = re.compile(
    r"^(?P<indent>\s*)(?P<targets>[A-Za-z_][\w]*(\s*,\s*[A-Za-z_]\w*)*)\s*=\s*(?P<sigil>%|!)(?P<rest>.*)$"
)
_HELP = re.compile(r"^(?P<indent>\s*)(\?\??[\w.*\[\]]+|[\w.*\[\]]+\?\??)\s*$")
# With IPython's automagic (on by default) these run without their %: "pip install x".
_AUTOMAGIC = re.compile(
    r"^(?P<indent>\s*)(run|cd|ls|pwd|pip|conda|matplotlib|load_ext|reload_ext|autoreload|env|"
    r"pylab|who|whos|history|reset|store|config|alias|bookmark|mkdir|cat|rm|cp|mv)"
    r"(\s+[^\s=(,\[+\-*/%<>!&|^]|\s*$)"
)
_TIMEIT_OPTION = re.compile(r"^(-[nrp]\s*\d+|-[oqct])\s+")


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
    lines = source.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        return _cell_magic(lines, first)
    return _line_magics(lines)


def _cell_magic(lines: list[str], first: int) -> PythonCell:
    words = lines[first].strip()[2:].split()
    name = words[0] if words else ""
    if name not in PYTHON_CELL_MAGICS:
        unknown = name not in _INERT_CELL_MAGICS
        return PythonCell(source=None, transformed=True, unknown_names=unknown)
    defines: tuple[str, ...] = ()
    if name == "capture":
        targets = [word for word in words[1:] if not word.startswith("-")]
        defines = tuple(targets[:1])
    body = _line_magics(["" for _ in range(first + 1)] + lines[first + 1 :])
    body.defines = defines
    body.transformed = True
    return body


def _line_magics(lines: list[str]) -> PythonCell:
    cell = PythonCell(source=None)
    lines, shifts = _leading_indent(lines)
    out: list[str] = []
    continued = False
    for number, (line, starts) in enumerate(zip(lines, statement_starts(lines)), start=1):
        dedented = shifts[number - 1]
        if dedented:
            cell.column_shift[number] = dedented
        if continued:
            out.append("")
            continued = line.rstrip().endswith("\\")
            continue
        if not starts:
            out.append(line)
            continue
        converted, shift, unknown = _convert_line(line)
        if converted is not line:
            cell.transformed = True
            continued = line.rstrip().endswith("\\")
        if shift:
            cell.column_shift[number] = shift + dedented
        cell.unknown_names |= unknown
        out.append(converted)
    cell.source = "\n".join(out)
    return cell


def _leading_indent(lines: list[str]) -> tuple[list[str], list[int]]:
    """IPython removes the first line's indentation from every line that has it; the lines and
    the columns removed from each."""
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip())]
    shifts = [len(indent) if indent and line.startswith(indent) else 0 for line in lines]
    return [line[shift:] for line, shift in zip(lines, shifts)], shifts


def statement_starts(lines: list[str]) -> list[bool]:
    """For each line, whether a new statement may start there (not inside brackets, a string
    or a backslash continuation), so that ``% x`` inside parentheses stays Python."""
    starts = []
    depth = 0
    quote = ""  # the open string's quote ('"', "'", '"""' or "'''")
    continued = False
    for line in lines:
        starts.append(depth == 0 and not quote and not continued)
        i = 0
        while i < len(line):
            ch = line[i]
            if quote:
                if ch == "\\":
                    i += 2
                    continue
                if line.startswith(quote, i):
                    i += len(quote)
                    quote = ""
                    continue
            elif ch == "#":
                break
            elif ch in "\"'":
                quote = line[i : i + 3] if line[i : i + 3] in ('"""', "'''") else ch
                i += len(quote)
                continue
            elif ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(depth - 1, 0)
            i += 1
        if len(quote) == 1:
            quote = ""  # a one-line string cannot go on; the parser will say so
        continued = line.rstrip().endswith("\\") and not quote
    return starts


def _convert_line(line: str) -> tuple[str, int, bool]:
    """(the line as Python, columns removed from its start, binds unknown names)."""
    automagic = _AUTOMAGIC.match(line)
    if automagic:
        line = f"{automagic['indent']}%{line[len(automagic['indent']) :]}"
    assigned = _ASSIGNED.match(line)
    if assigned:
        return f"{assigned['indent']}{assigned['targets']} = None", 0, False
    magic = _MAGIC.match(line)
    if magic:
        return _convert_magic(magic)
    help_line = _HELP.match(line)
    if help_line and "?" in line:
        return f"{help_line['indent']}pass", 0, False
    return line, 0, False


def _convert_magic(magic: re.Match[str]) -> tuple[str, int, bool]:
    indent, rest = magic["indent"], magic["rest"]
    if magic["sigil"] == "!" or rest.startswith("%"):
        return f"{indent}pass", 0, False
    name, _, argument = rest.partition(" ")
    if name in _STATEMENT_MAGICS and argument.strip():
        statement = argument.lstrip()
        while name == "timeit" and _TIMEIT_OPTION.match(statement):
            statement = _TIMEIT_OPTION.sub("", statement, count=1)
        removed = len(magic.group(0)) - len(indent) - len(statement)
        return f"{indent}{statement}", removed, False
    unknown = name in _UNKNOWN_NAMES_MAGICS and (name != "store" or "-r" in argument.split())
    return f"{indent}pass", 0, unknown
