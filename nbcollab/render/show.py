"""A notebook as readable terminal text (``nbcollab show``): cells with headers, sources with
syntax colour, outputs as text, images as ``[image/png 640x480]``.

Pure: a notebook dict in, a string out. Everything from the notebook passes through
``safe_plain`` (colours dropped, then ``nbcollab.safe_text``) before it reaches the terminal, so a
notebook cannot move the cursor, retitle the window, rewrite the screen or hide text with escape
sequences.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbcollab.notebook.cells import cell_name, cell_number, output_name, parse_selector
from nbcollab.notebook.lines import Notebook, cell_source, iter_cells
from nbcollab.render.output_text import OutputStyle, describe_output, output_text, safe_plain

_BOLD, _CYAN, _DIM, _RESET = "\033[1m", "\033[36m", "\033[2m", "\033[0m"
_MAX_HIGHLIGHT = 30_000  # characters a source; beyond that (generated code) lexing takes seconds


@dataclass(frozen=True)
class ShowOptions:
    """What ``show`` prints: ``cell`` a ``--cell`` selector (``notebook.cells``); ``width`` for
    the rules."""

    outputs: bool = True
    color: bool = False
    cell: str | None = None
    width: int = 80


def show_notebook(
    nb: Notebook, *, name: str, options: ShowOptions = ShowOptions(), notes: Sequence[str] = ()
) -> str:
    """The notebook (or the cells ``options.cell`` selects) as text; ``notes`` under its title
    (where published outputs shown came from)."""
    language = notebook_language(nb)
    cells = list(enumerate(iter_cells(nb)))
    if options.cell is not None:
        chosen = parse_selector(options.cell).select(iter_cells(nb), name=name)
        cells = [cells[k] for k in chosen]
    lines = [] if options.cell is not None else [_paint(_title(nb, name), _BOLD, options)]
    lines += [_paint(safe_plain(note), _DIM, options) for note in notes]
    for index, cell in cells:
        if lines:
            lines.append("")
        lines.extend(_cell_lines(index, cell, language, options))
    return "\n".join(lines) + "\n"


def notebook_language(nb: Notebook) -> str:
    """The kernel's language, for highlighting (Python when the notebook does not say)."""
    metadata = nb.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    for key in ("language_info", "kernelspec"):
        part = metadata.get(key)
        value = (
            part.get("name" if key == "language_info" else "language")
            if isinstance(part, dict)
            else None
        )
        if isinstance(value, str) and value:
            return value
    return "python"


def _title(nb: Notebook, name: str) -> str:
    minor = nb.get("nbformat_minor")
    version = f"{nb.get('nbformat')}.{minor}" if isinstance(minor, int) else str(nb.get("nbformat"))
    count = len(iter_cells(nb))
    return safe_plain(
        f"{name} ({notebook_language(nb)}, nbformat {version}, {count} cell{'s' * (count != 1)})"
    )


def _paint(text: str, code: str, options: ShowOptions) -> str:
    return f"{code}{text}{_RESET}" if options.color and text else text


def _rule(label: str, options: ShowOptions, code: str = _CYAN) -> str:
    head = f"── {label} "
    return _paint(head + "─" * max(3, options.width - len(head)), code, options)


def _cell_lines(index: int, cell: Any, language: str, options: ShowOptions) -> Iterator[str]:
    if not isinstance(cell, dict):
        yield _rule(cell_name(index), options)
        yield safe_plain(json.dumps(cell))
        return
    yield _rule(safe_plain(_cell_label(index, cell)), options)
    kind = cell.get("cell_type")
    lexer = language if kind == "code" else ("markdown" if kind == "markdown" else "")
    source = safe_plain(cell_source(cell))
    shown = highlight_terminal(source, lexer) if options.color and lexer else source
    yield from shown.splitlines()
    if options.outputs:
        for k, output in enumerate(cell.get("outputs") or []):
            yield from _output_lines(k, output, options)


def _cell_label(index: int, cell: Mapping[str, Any]) -> str:
    words = [f"cell {cell_number(index)}", str(cell.get("cell_type", "?"))]
    if isinstance(cell.get("id"), str):
        words.append(f"id {cell['id']}")
    count = cell.get("execution_count", cell.get("prompt_number"))
    if isinstance(count, int):
        words.append(f"[{count}]")
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    if isinstance(tags, list) and tags:
        words.append("tags " + ", ".join(str(t) for t in tags))
    return " · ".join(words)


def highlight_terminal(source: str, language: str) -> str:
    """Source coloured for a 16-colour terminal (unchanged when the language is unknown)."""
    from pygments import highlight
    from pygments.formatters import TerminalFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    if len(source) > _MAX_HIGHLIGHT:
        return source
    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return source
    return highlight(source, lexer, TerminalFormatter())


def _output_lines(k: int, output: Any, options: ShowOptions) -> Iterator[str]:
    if not isinstance(output, dict):
        yield _rule(output_name(k), options, _DIM)
        yield safe_plain(json.dumps(output))
        return
    yield _rule(f"{output_name(k)} · {describe_output(output)}", options, _DIM)
    yield from output_text(output, style=OutputStyle.SHOW)
