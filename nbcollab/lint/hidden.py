"""Hidden state across cells: names that only exist because of the order cells ran in.

D201: used before any earlier cell defines it, but defined later (or deleted earlier): fails on
Restart & Run All. D202: an executed cell uses a name that only an unexecuted cell defines.
D203: a name defined in several cells, where the stored result of a cell came from another
definition than the one Restart & Run All would give it. Cells that may bind names nobody can
list (a star import, ``%run``, a cell that does not parse) silence D201/D202 after them.
"""

from __future__ import annotations

import builtins
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from nbcollab.lint.dataflow import Event, Function
from nbcollab.lint.finding import Finding
from nbcollab.lint.parse import ParsedCell

_ALWAYS_DEFINED = frozenset(dir(builtins)) | {
    "get_ipython",
    "display",
    "In",
    "Out",
    "exit",
    "quit",
    "_",
    "__",
    "___",
    "_i",
    "_ii",
    "_iii",
    "_oh",
    "_ih",
    "_dh",
    "_sh",
    "__file__",
    "__builtins__",
}


@dataclass(frozen=True)
class Resolved:
    """A module-level event with function calls replayed: ``via`` names the called function."""

    kind: str
    name: str
    line: int
    col: int
    guarded: bool
    via: str = ""


def is_always_defined(name: str) -> bool:
    return name in _ALWAYS_DEFINED or (name.startswith("_") and name[1:].lstrip("i").isdigit())


def resolve_in_order(cells: list[ParsedCell]) -> Iterator[tuple[ParsedCell, list[Resolved]]]:
    """Each cell's events as run in this order, with each function use replaying its body."""
    table: dict[str, Function] = {}
    for parsed in cells:
        resolved: list[Resolved] = []
        if parsed.unknown_names:
            resolved.append(Resolved("star", "*", 1, 0, False))
        for event in parsed.events:
            resolved.extend(_replay(event, table, via="", seen=frozenset()))
        yield parsed, resolved


def _replay(
    event: Event, table: dict[str, Function], *, via: str, seen: frozenset[str]
) -> Iterator[Resolved]:
    yield Resolved(event.kind, event.name, event.line, event.col, event.guarded, via)
    if event.kind == "def":
        if event.function is not None:
            table[event.name] = event.function
        else:
            table.pop(event.name, None)
    elif event.kind == "del":
        table.pop(event.name, None)
    elif event.kind == "use" and event.name in table and event.name not in seen:
        for inner in table[event.name].events:
            call = Event(
                inner.kind,
                inner.name,
                event.line,
                event.col,
                inner.guarded or event.guarded,
                inner.function,
            )
            yield from _replay(call, table, via=via or event.name, seen=seen | {event.name})


def name_finding(code: str, parsed: ParsedCell, use: Resolved, message: str) -> Finding:
    cell = parsed.cell
    through = f" (through {use.via}())" if use.via else ""
    return Finding(
        code,
        message.replace("{through}", through),
        cell.index,
        cell.cell_id,
        cell.count,
        use.line,
        parsed.column(use.line, use.col),
        use.name,
    )


def find_used_before_defined(cells: list[ParsedCell]) -> list[Finding]:
    """D201, walking every code cell in document order as Restart & Run All does."""
    walked = list(resolve_in_order(cells))
    def_positions: dict[str, list[int]] = {}
    def_cells: dict[tuple[str, int], int] = {}
    for step, (parsed, name) in _numbered_defs(walked):
        def_positions.setdefault(name, []).append(step)
        def_cells.setdefault((name, step), parsed.cell.index)
    defined: set[str] = set()
    deleted: dict[str, int] = {}
    star = False
    found: list[Finding] = []
    reported: set[tuple[int, str]] = set()
    step = 0
    for parsed, events in walked:
        for event in events:
            step += 1
            if event.kind == "star":
                star = True
            elif event.kind == "def":
                defined.add(event.name)
                deleted.pop(event.name, None)
            elif event.kind == "del":
                defined.discard(event.name)
                deleted[event.name] = parsed.cell.index
            elif event.kind == "use" and not (
                event.guarded or star or event.name in defined or is_always_defined(event.name)
            ):
                key = (parsed.cell.index, event.name)
                message = _undefined_message(event.name, step, def_positions, def_cells, deleted)
                if message and key not in reported:
                    reported.add(key)
                    found.append(name_finding("D201", parsed, event, message))
    return found


def _numbered_defs(
    walked: list[tuple[ParsedCell, list[Resolved]]],
) -> Iterator[tuple[int, tuple[ParsedCell, str]]]:
    step = 0
    for parsed, events in walked:
        for event in events:
            step += 1
            if event.kind == "def":
                yield step, (parsed, event.name)


def _undefined_message(
    name: str,
    step: int,
    positions: dict[str, list[int]],
    cells: dict[tuple[str, int], int],
    deleted: dict[str, int],
) -> str | None:
    if name in deleted:
        return f"{name!r}{{through}} is used after `del {name}` in cell {deleted[name]}"
    later = positions.get(name, [])
    after = bisect_left(later, step)
    if after == len(later):
        return None  # defined nowhere: an import or a builtin we cannot see, not hidden state
    where = cells[(name, later[after])]
    return (
        f"{name!r}{{through}} is used before it is defined (in cell {where}): "
        "Restart & Run All fails with NameError"
    )
