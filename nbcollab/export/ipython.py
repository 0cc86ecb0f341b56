"""Turn IPython syntax into plain Python, line for line, or say why it cannot be done.

Only lines where a Python statement could start are looked at (not lines inside a string or
inside brackets), so a ``%`` or ``!`` in a multi-line string is left alone. Every line keeps its
line number: a removed line becomes a comment (``pass`` with a comment when indented, so that a
block whose only statement was a magic stays valid Python).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from nbcollab.export.model import Line
from nbcollab.safe_text import terminal_safe

_ASSIGNED_MAGIC = re.compile(r"^[\w.\[\], ()*]+?\s*=\s*[%!]")
_TIMING = re.compile(r"^%(time|timeit)(?:\s+(.*))?$")
_TIMEIT_ARG_OPTIONS = frozenset("nrp")
_HELP = re.compile(r"^(\?{1,2}[\w.*]+|[\w.*]+\?{1,2})$")
# IPython's help at the end of any line (``a = obj??`` asks for help on ``obj``).
_HELP_END = re.compile(r"[A-Za-z_*][\w*]*(?:\.[A-Za-z_*][\w*]*)*\?{1,2}$")
_STRING_START = re.compile(r"(?i)(?:[rbuf]|br|rb|fr|rf)?('''|\"\"\"|'|\")")


class IPythonCell(Exception):
    """The cell cannot be exported; the message says why (a cell magic, an assigned magic)."""

    def __init__(self, message: str, *, line: int, skip: bool) -> None:
        super().__init__(message)
        self.line = line
        self.skip = skip  # True: skipped with a warning; False: an error unless lenient


@dataclass
class _Scanner:
    """Tracks strings and brackets across physical lines, enough to find statement starts."""

    depth: int = 0
    quote: str | None = None  # the open multi-line string's delimiter
    backslash: bool = False

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.backslash

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        self.backslash = False
        while i < n:
            if self.quote is not None:
                i = self._inside_string(line, i)
                continue
            char = line[i]
            if char == "#":
                return
            match = _STRING_START.match(line, i)
            if match and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == "_")):
                self.quote = match.group(1)
                i = match.end()
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            elif char == "\\" and i == n - 1:
                self.backslash = True
            i += 1
        if self.quote in ("'", '"') and not self.backslash:
            self.quote = None  # an unterminated one-line string; the compile check reports it

    def _inside_string(self, line: str, i: int) -> int:
        assert self.quote is not None
        if line[i] == "\\":
            if i == len(line) - 1:
                self.backslash = True
            return i + 2
        if line.startswith(self.quote, i):
            end = i + len(self.quote)
            self.quote = None
            return end
        return i + 1


def dedent_leading(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """IPython's leading-indent rule: the first line's indentation is removed from every line."""
    first = next((text for _, text in lines if text.strip()), "")
    indent = first[: len(first) - len(first.lstrip())]
    if not indent:
        return lines
    return tuple((n, text.removeprefix(indent)) for n, text in lines)


def strip_ipython(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """The lines with IPython syntax made Python; raises IPythonCell for cells that cannot be."""
    lines = dedent_leading(lines)
    code_lines = [
        (n, text) for n, text in lines if text.strip() and not text.lstrip().startswith("#")
    ]
    if code_lines and code_lines[0][1].lstrip().startswith("%%"):
        magic = _short(code_lines[0][1].split()[0])
        raise IPythonCell(
            f"cell magic {magic}: the cell is not Python", line=code_lines[0][0], skip=True
        )
    out: list[Line] = []
    scanner = _Scanner()
    continued: str | None = None  # the indentation of a removed line that ends in a backslash
    for number, text in lines:
        if continued is not None:
            out.append((number, f"{continued}# nbcollab: (continued) {_short(text)}"))
            continued = continued if text.endswith("\\") else None
            continue
        if scanner.at_statement_start():
            replaced = _replace_statement(number, text)
            if replaced is not None:
                out.append((number, replaced))
                if "# nbcollab: removed" not in replaced:
                    scanner.feed(replaced)  # ``%time x = (1,``: the statement goes on
                elif text.endswith("\\"):
                    continued = text[: len(text) - len(text.lstrip())]
                continue
        scanner.feed(text)
        out.append((number, text))
    return tuple(out)


def _replace_statement(number: int, text: str) -> str | None:
    """Python for one IPython line, or None when the line is not IPython syntax."""
    body = text.lstrip()
    indent = text[: len(text) - len(body)]
    if body and body[0] not in "%!" and _HELP_END.search(body.rstrip()) and not _is_python(body):
        return _removed(indent, "help request", body)
    if not body or (body[0] not in "%!?" and not _HELP.match(body.rstrip())):
        if body and _ASSIGNED_MAGIC.match(body) and not _is_python(body):
            raise IPythonCell(
                f"{_short(body)!s} assigns the result of IPython syntax, which has "
                "no Python equivalent",
                line=number,
                skip=False,
            )
        return None
    if body[0] in "?" or _HELP.match(body.rstrip()):
        return _removed(indent, "help request", body)
    timing = _TIMING.match(body.rstrip())
    if timing and timing.group(2) and timing.group(1):
        statement = timing.group(2)
        if timing.group(1) == "timeit":
            statement = _drop_timeit_options(statement)
        if statement:
            return indent + statement
    kind = "shell command" if body[0] == "!" else "line magic"
    return _removed(indent, kind, body)


def _drop_timeit_options(rest: str) -> str:
    words = rest.split(" ")
    while words and words[0].startswith("-") and len(words[0]) > 1:
        option = words.pop(0)
        if option[1] in _TIMEIT_ARG_OPTIONS and len(option) == 2 and words:
            words.pop(0)
        while words and words[0] == "":
            words.pop(0)
    return " ".join(words).strip()


def _removed(indent: str, kind: str, body: str) -> str:
    note = f"# nbcollab: removed IPython {kind}: {_short(body)}"
    return f"{indent}pass  {note}" if indent else note


def _short(body: str) -> str:
    """The IPython line as a safe one-line comment text (printable, at most 80 characters)."""
    text = terminal_safe(body.strip(), one_line=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_python(body: str) -> bool:
    """Whether a line like ``x = a %b`` is already Python (modulo, not a magic)."""
    try:
        compile(body, "<line>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True
