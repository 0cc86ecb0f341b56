"""IPython syntax in a code cell: which lines are magics, shell commands or help requests.

The one place that reads IPython's syntax. ``lint`` turns each kind of line into Python it can
analyse, ``export`` into the module's Python (or refuses the cell); neither looks at the syntax
itself, so both always agree on what a line is. The rules are those of IPython's input
transformers:

- IPython removes the first line's indentation from every line that has it;
- a cell whose first non-blank line starts with ``%%`` is a cell magic; its body is a cell of
  its own (a ``%%`` line further down is a line magic named ``%name``, which IPython cannot run);
- only lines where a statement can start are looked at (not lines inside brackets, a string or a
  backslash continuation), so ``%`` and ``!`` in a multi-line string or a bracket stay Python;
- there, ``%name args`` is a line magic, ``!cmd`` a shell command, ``?obj``, ``obj?``, ``obj??``
  and any statement ending in ``name?`` (``a = obj??``, ``x[0]?``) a help request, and
  ``target = !cmd`` or ``target = %magic`` (an ``=`` outside brackets) an assigned one; the lines
  a backslash joins to such a line belong to it;
- with automagic (on by default) ``pip install x`` runs ``%pip``: a line that starts with a magic's
  name and is not valid Python on its own.

A line that is valid Python is never taken for IPython syntax: a cell that parses is all Python.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum


class LineKind(str, Enum):
    """What a line of a code cell is, for IPython."""

    PYTHON = "Python"
    CELL_MAGIC = "cell magic"  # the ``%%name`` line
    LINE_MAGIC = "line magic"
    AUTOMAGIC = "automagic"  # a line magic without its ``%``: ``pip install x``
    SHELL = "shell command"
    HELP = "help request"
    ASSIGNED = "assigned"  # ``x = !ls``, ``x = %who_ls``: no Python equivalent
    CONTINUATION = "continuation"  # joined by a backslash to the IPython line above


IPYTHON_KINDS = frozenset(LineKind) - {LineKind.PYTHON}
# Magics that run a Python statement: ``%time x = f()`` runs ``x = f()``.
STATEMENT_MAGICS = frozenset({"time", "timeit", "prun", "debug"})
# The options of those magics that take a value (``-n 10``, ``-n10``, ``--breakpoint F:L``).
_OPTION_VALUES = {"timeit": "nrp", "prun": "lsTD", "debug": "b", "time": ""}

# IPython's _help_end_re (IPython 9): a name, attributes or integer subscripts, then ? or ??.
_HELP_END = re.compile(r"(%{0,2}(?!\d)[\w*]+(?:\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")
_ASSIGNED_MAGIC = re.compile(r"%\s*[^\W\d]")
# With IPython's automagic (on by default) these run without their %: "pip install x".
_AUTOMAGIC = re.compile(
    r"(run|cd|ls|pwd|pip|conda|matplotlib|load_ext|reload_ext|autoreload|env|"
    r"pylab|who|whos|history|reset|store|config|alias|bookmark|mkdir|cat|rm|cp|mv)"
    r"(\s+[^\s=(,\[+\-*/%<>!&|^]|\s*$)"
)
_OPTION = re.compile(
    r"(?:--(?P<long>[A-Za-z][\w-]*)(?P<assigned>=\S*)?|-(?P<short>[A-Za-z])(?P<attached>\S*))(?:\s+|$)"
)
_WORD = re.compile(r"\S+(?:\s+|$)")
_STRING_START = re.compile(r"(?i)(?:[rbuf]|br|rb|fr|rf)?('''|\"\"\"|'|\")")
_OPERATOR_BEFORE_EQUALS = frozenset("=!<>:+-*/%&|^@")


@dataclass(frozen=True)
class IPythonLine:
    """One line of a cell as IPython reads it (its first line's indentation removed)."""

    number: int  # 1-based in the cell
    text: str
    kind: LineKind
    dedent: int = 0  # columns IPython removed from the start of the line
    magic: str = ""  # LINE_MAGIC, AUTOMAGIC, ASSIGNED with %: the magic's name
    argument: str = ""  # what follows the magic's name
    target: str = ""  # ASSIGNED: the text left of ``=``
    statement: str = ""  # a statement magic's Python: ``x = 1`` for ``%time x = 1``
    statement_column: int = 0  # where ``statement`` starts in ``text`` (0-based)

    @property
    def indent(self) -> str:
        """The line's leading whitespace (after IPython's dedent)."""
        return self.text[: len(self.text) - len(self.text.lstrip())]

    @property
    def body(self) -> str:
        """The line without its indentation."""
        return self.text.lstrip()


@dataclass(frozen=True)
class CellMagic:
    """The ``%%name argument`` that makes a whole cell something else than Python."""

    name: str
    argument: str
    line: int


@dataclass(frozen=True)
class ClassifiedCell:
    """Every line of a cell, classified; ``magic`` when the cell is a cell magic (its body's
    lines are then classified as a cell of their own)."""

    magic: CellMagic | None
    lines: tuple[IPythonLine, ...]


def classify_source(source: str) -> ClassifiedCell:
    """Classify a cell's source (lines split at ``\\n``, numbered from 1)."""
    return classify_cell(list(enumerate(source.split("\n"), start=1)))


def classify_cell(lines: Sequence[tuple[int, str]]) -> ClassifiedCell:
    """Classify numbered lines (numbers may skip lines a caller removed, e.g. directives)."""
    dedented = _leading_indent(lines)
    first = next((i for i, line in enumerate(dedented) if line.text.strip()), None)
    if first is not None and _is_cell_magic(dedented[first].text):
        words = dedented[first].text.strip()[2:].split(maxsplit=1)
        magic = CellMagic(
            words[0] if words else "", words[1] if len(words) > 1 else "", dedented[first].number
        )
        head = dedented[:first] + [replace(dedented[first], kind=LineKind.CELL_MAGIC)]
        body = classify_cell([(line.number, line.text) for line in dedented[first + 1 :]])
        return ClassifiedCell(magic, (*head, *_shifted(body.lines, dedented[first + 1 :])))
    return ClassifiedCell(None, tuple(_classify_statements(dedented)))


def _is_cell_magic(text: str) -> bool:
    # ``%%time?`` asks for help on the magic (IPython's own exception).
    return text.startswith("%%") and not re.match(r"%%\w+\?", text)


def _leading_indent(lines: Sequence[tuple[int, str]]) -> list[IPythonLine]:
    first = next((text for _, text in lines if text.strip()), "")
    indent = first[: len(first) - len(first.lstrip())]
    out = []
    for number, text in lines:
        cut = len(indent) if indent and text.startswith(indent) else 0
        out.append(IPythonLine(number, text[cut:], LineKind.PYTHON, dedent=cut))
    return out


def _shifted(body: tuple[IPythonLine, ...], source: list[IPythonLine]) -> list[IPythonLine]:
    """A cell magic's body lines, their dedent counted from the cell's own lines."""
    outer = {line.number: line.dedent for line in source}
    return [replace(line, dedent=line.dedent + outer.get(line.number, 0)) for line in body]


def _classify_statements(lines: list[IPythonLine]) -> list[IPythonLine]:
    out: list[IPythonLine] = []
    scanner = _Scanner()
    continued = False  # the line above is IPython syntax and ends in a backslash
    for line in lines:
        text = line.text.rstrip("\r")
        if continued:
            out.append(replace(line, kind=LineKind.CONTINUATION))
            continued = text.endswith("\\")
            continue
        if not scanner.at_statement_start():
            scanner.feed(text)
            out.append(line)
            continue
        classified = _classify_line(line)
        if classified.kind is LineKind.PYTHON:
            scanner.feed(text)
        elif classified.statement:
            scanner.feed(classified.statement)  # ``%time x = (1,``: the statement goes on
        else:
            continued = text.endswith("\\")
        out.append(classified)
    return out


def _classify_line(line: IPythonLine) -> IPythonLine:
    """The kind of a line where a statement starts."""
    body = line.text.rstrip("\r").lstrip()
    if not body or body.startswith("#"):
        return line
    if _ends_in_help(body):
        return replace(line, kind=LineKind.HELP)
    if body[0] == "?":
        return replace(line, kind=LineKind.HELP)
    if body[0] == "!":
        return replace(line, kind=LineKind.SHELL)
    if body[0] == "%":
        return _magic(line, LineKind.LINE_MAGIC, body, 1)
    target = _assigned_target(body)
    if target is not None:
        rest = body[len(target) + 1 :].lstrip()
        if rest.startswith("!") or _ASSIGNED_MAGIC.match(rest):
            magic = rest[1:].lstrip().split(maxsplit=1)[0] if rest[0] == "%" else ""
            return replace(line, kind=LineKind.ASSIGNED, target=target.rstrip(), magic=magic)
    if _AUTOMAGIC.match(body) and not _is_python(body):
        return _magic(line, LineKind.AUTOMAGIC, body, 0)
    return line


def _magic(line: IPythonLine, kind: LineKind, body: str, sigil: int) -> IPythonLine:
    match = re.match(r"(\S*)\s*", body[sigil:])
    name = match.group(1) if match else ""
    argument = body[sigil + (match.end() if match else 0) :]
    statement = _statement(name, argument) if name in STATEMENT_MAGICS else ""
    column = len(line.indent) + len(body) - len(statement)
    return replace(
        line,
        kind=kind,
        magic=name,
        argument=argument,
        statement=statement,
        statement_column=column if statement else 0,
    )


def _statement(name: str, argument: str) -> str:
    """The Python statement a statement magic runs: its argument without the magic's options
    (a suffix of the line, so columns in it stay countable)."""
    rest = argument.lstrip()
    if name == "time":
        return rest
    takes_value = _OPTION_VALUES[name]
    while rest.startswith("-"):
        option = _OPTION.match(rest)
        if option is None:
            break
        rest = rest[option.end() :]
        short = option["short"]
        needs_value = (short is not None and short in takes_value and not option["attached"]) or (
            option["long"] is not None and option["assigned"] is None and name == "debug"
        )
        if needs_value:
            value = _WORD.match(rest)
            rest = rest[value.end() :] if value else ""
    return rest


def _ends_in_help(body: str) -> bool:
    """Whether the statement ends in ``name?``/``name??`` outside any string or comment."""
    if not body.endswith("?") or not _HELP_END.search(body):
        return False
    probe = _Scanner()
    # An escaped line's text is not Python (``!echo it's``): only where it ends counts.
    comment = probe.feed(body[1:] if body[0] in "%!?" else body)
    return comment == len(body) - (body[0] in "%!?") and probe.at_statement_start()


def _assigned_target(body: str) -> str | None:
    """The text before the statement's first ``=`` outside brackets and strings, if any."""
    depth, quote, i = 0, "", 0
    while i < len(body):
        char = body[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if body.startswith(quote, i):
                i += len(quote)
                quote = ""
                continue
        elif char == "#":
            return None
        elif char in "\"'":
            quote = body[i : i + 3] if body[i : i + 3] in ('"""', "'''") else char
            i += len(quote)
            continue
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == "=" and depth == 0:
            before = body[i - 1] if i else ""
            after = body[i + 1] if i + 1 < len(body) else ""
            if after != "=" and before not in _OPERATOR_BEFORE_EQUALS and i:
                return body[:i]
            if after == "=":
                i += 2
                continue
        i += 1
    return None


def _is_python(body: str) -> bool:
    """Whether a line is valid Python on its own (``x = a %b`` is a modulo, not a magic)."""
    try:
        compile(body, "<line>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@dataclass
class _Scanner:
    """Tracks strings and brackets across physical lines, enough to find statement starts."""

    depth: int = 0
    quote: str | None = None  # the open string's delimiter
    backslash: bool = False

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.backslash

    def feed(self, line: str) -> int:
        """Read one physical line; the column where its comment starts (its length if none)."""
        i, n = 0, len(line)
        self.backslash = False
        while i < n:
            if self.quote is not None:
                i = self._inside_string(line, i)
                continue
            char = line[i]
            if char == "#":
                return i
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
            self.quote = None  # an unterminated one-line string; the compiler reports it
        return n

    def _inside_string(self, line: str, i: int) -> int:
        quote = self.quote or ""
        if line[i] == "\\":
            if i == len(line) - 1:
                self.backslash = True
            return i + 2
        if line.startswith(quote, i):
            self.quote = None
            return i + len(quote)
        return i + 1
