"""Hidden state that only the stored execution counts reveal (D202, D203)."""

from __future__ import annotations

from nbcollab.lint.finding import Finding
from nbcollab.lint.hidden import Resolved, is_always_defined, name_finding, resolve_in_order
from nbcollab.lint.parse import ParsedCell


def _executed(cells: list[ParsedCell]) -> list[ParsedCell]:
    return sorted(
        (p for p in cells if p.cell.count is not None),
        key=lambda p: (p.cell.count or 0, p.cell.index),
    )


def find_defined_only_unexecuted(cells: list[ParsedCell]) -> list[Finding]:
    """D202: names an executed cell uses that only unexecuted cells define."""
    executed = _executed(cells)
    if not executed:
        return []
    walked = list(resolve_in_order(executed))
    if any(e.kind == "star" for _, events in walked for e in events):
        return []
    defined = {e.name for _, events in walked for e in events if e.kind == "def"}
    unexecuted = [p for p in cells if p.cell.count is None]
    elsewhere: dict[str, int] = {}
    for parsed, events in resolve_in_order(unexecuted):
        for event in events:
            if event.kind == "def":
                elsewhere.setdefault(event.name, parsed.cell.index)
    found: list[Finding] = []
    reported: set[tuple[int, str]] = set()
    for parsed, events in walked:
        for use in _free_uses(events):
            key = (parsed.cell.index, use.name)
            if use.name in defined or use.name not in elsewhere or key in reported:
                continue
            reported.add(key)
            found.append(
                name_finding(
                    "D202",
                    parsed,
                    use,
                    (
                        f"{use.name!r}{{through}} is defined only in cell {elsewhere[use.name]}, "
                        "which has no execution count: this cell's stored result used a value the "
                        "notebook does not show"
                    ),
                )
            )
    return found


def find_ambiguous_definitions(cells: list[ParsedCell]) -> list[Finding]:
    """D203: a use whose stored value came from another definition than Restart & Run All's."""
    executed = _executed(cells)
    if len(executed) < 2:
        return []
    definers: dict[str, list[ParsedCell]] = {}
    for parsed, events in resolve_in_order(cells):
        for name in dict.fromkeys(e.name for e in events if e.kind == "def"):
            definers.setdefault(name, []).append(parsed)
    found: list[Finding] = []
    reported: set[tuple[int, str]] = set()
    for parsed, events in resolve_in_order(executed):
        for use in _free_uses(events):
            cells_defining = definers.get(use.name, [])
            key = (parsed.cell.index, use.name)
            if len(cells_defining) < 2 or key in reported:
                continue
            message = _ambiguity(parsed, use, cells_defining)
            if message:
                reported.add(key)
                found.append(name_finding("D203", parsed, use, message))
    return found


def _free_uses(events: list[Resolved]) -> list[Resolved]:
    """Uses not preceded by a definition in the same cell, unguarded, not builtins."""
    own: set[str] = set()
    uses = []
    for event in events:
        if event.kind == "def":
            own.add(event.name)
        elif (
            event.kind == "use"
            and event.name not in own
            and not event.guarded
            and not is_always_defined(event.name)
        ):
            uses.append(event)
    return uses


def _ambiguity(user: ParsedCell, use: Resolved, definers: list[ParsedCell]) -> str | None:
    count = user.cell.count or 0  # users are executed cells
    before = [p for p in definers if p.cell.index < user.cell.index]
    ran_before = [p for p in definers if p.cell.count is not None and p.cell.count < count]
    if not before or not ran_before:
        return None
    by_document = before[-1]
    by_execution = max(ran_before, key=lambda p: (p.cell.count or 0, p.cell.index))
    if by_document is by_execution:
        return None
    return (
        f"{use.name!r}{{through}} is defined in cells "
        f"{', '.join(str(p.cell.index) for p in definers)}: its stored result used cell "
        f"{by_execution.cell.index}'s (count {by_execution.cell.count}), Restart & Run All "
        f"gives it cell {by_document.cell.index}'s"
    )
