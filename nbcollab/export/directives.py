"""nbdev-style cell directives (``#| export``, ``#| exporti``, ``#| default_exp``, ``#| hide``).

As in nbdev, directives are the ``#|`` comment lines at the top of a cell (before its first line
of code); the same text further down is an ordinary comment. Directive lines never reach the
module, but their line numbers stay reserved so that messages and tracebacks count lines as the
notebook shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIRECTIVE = re.compile(r"^\s*#\s*\|\s*([A-Za-z_][\w-]*)[ \t]*:?[ \t]*(.*?)\s*$")
EXPORT_DIRECTIVES = frozenset({"export", "exports"})
INTERNAL_DIRECTIVES = frozenset({"exporti"})


@dataclass(frozen=True)
class Directives:
    """The directives of one cell: name -> argument text (empty when none)."""

    found: dict[str, str]
    code_lines: tuple[tuple[int, str], ...]  # the cell's other lines, 1-based

    def has(self, name: str) -> bool:
        """Whether the cell carries the directive ``name``."""
        return name in self.found

    def argument(self, name: str) -> str:
        """The text after the directive, e.g. the module of ``#| default_exp core``."""
        return self.found.get(name, "")


def parse_directives(source: str) -> Directives:
    """Split a cell into its leading ``#|`` directives and the rest of its lines."""
    found: dict[str, str] = {}
    code: list[tuple[int, str]] = []
    in_header = True
    for number, line in enumerate(source.split("\n"), start=1):
        line = line.rstrip("\r")
        if in_header:
            match = _DIRECTIVE.match(line)
            if match:
                found.setdefault(match.group(1).lower(), match.group(2))
                continue
            if line.strip() and not line.lstrip().startswith("#"):
                in_header = False
        code.append((number, line))
    while code and not code[-1][1].strip():
        code.pop()
    return Directives(found=found, code_lines=tuple(code))


def export_kind(directives: Directives, tags: list[str]) -> str | None:
    """``"public"``, ``"internal"`` or None: how a cell is marked for export."""
    if any(directives.has(name) for name in INTERNAL_DIRECTIVES):
        return "internal"
    if any(directives.has(name) for name in EXPORT_DIRECTIVES) or "export" in tags:
        return "public"
    return None
