"""A notebook as readable terminal text (``nbcollab show``): cells with headers, sources with
syntax colour, outputs as text, images as ``[image/png 640x480]``.

Pure: a notebook dict in, a string out. Everything from the notebook passes through
``safe_plain`` (colours dropped, then ``nbcollab.safe_text``) before it reaches the terminal, so a
notebook cannot move the cursor, retitle the window, rewrite the screen or hide text with escape
sequences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbcollab.errors import ConfigError
from nbcollab.notebook.bundle import mime_bundle
from nbcollab.notebook.lines import Notebook, cell_source, iter_cells
from nbcollab.render.show_images import image_size
from nbcollab.safe_text import terminal_safe

_BOLD, _CYAN, _DIM, _RED, _RESET = "\033[1m", "\033[36m", "\033[2m", "\033[31m", "\033[0m"
# SGR (colour) sequences are dropped: tracebacks are full of them and they carry no content.
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_MAX_HIGHLIGHT = 30_000  # characters a source; beyond that (generated code) lexing takes seconds
_IMAGE = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/svg+xml")


@dataclass(frozen=True)
class ShowOptions:
    """What ``show`` prints: ``cell`` selects one cell by id or index; ``width`` for the rules."""

    outputs: bool = True
    color: bool = False
    cell: str | None = None
    width: int = 80


def safe_plain(text: str) -> str:
    """Untrusted text for the terminal: colour codes dropped (tracebacks are full of them),
    every other control character shown visibly (``nbcollab.safe_text``)."""
    return terminal_safe(_SGR.sub("", text))


def show_notebook(
    nb: Notebook, *, name: str, options: ShowOptions = ShowOptions(), notes: Sequence[str] = ()
) -> str:
    """The notebook (or the one cell ``options.cell`` names) as text; ``notes`` under its title
    (where published outputs shown came from)."""
    language = notebook_language(nb)
    cells = list(enumerate(iter_cells(nb)))
    if options.cell is not None:
        cells = [select_cell(cells, options.cell, name=name)]
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


def select_cell(cells: list[tuple[int, Any]], wanted: str, *, name: str) -> tuple[int, Any]:
    """The cell whose id is ``wanted``, else the one at that index (negative: from the end)."""
    for index, cell in cells:
        if isinstance(cell, dict) and cell.get("id") == wanted:
            return index, cell
    if re.fullmatch(r"-?\d+", wanted) and -len(cells) <= int(wanted) < len(cells):
        return cells[int(wanted)]
    raise ConfigError(
        f"{name}: --cell {safe_plain(wanted)}: no cell with that id or index "
        f"(the notebook has {len(cells)} cells)"
    )


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
        yield _rule(f"cell {index}", options)
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
    words = [f"cell {index}", str(cell.get("cell_type", "?"))]
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
        yield _rule(f"output {k}", options, _DIM)
        yield safe_plain(json.dumps(output))
        return
    kind = str(output.get("output_type", "?"))
    label = f"output {k} · {kind}"
    if kind == "stream":
        label += f" {output.get('name', '')}"
    yield _rule(safe_plain(label.rstrip()), options, _DIM)
    if kind == "stream":
        yield from safe_plain(_carriage_returns(str(output.get("text", "")))).splitlines()
    elif kind in ("error", "pyerr"):
        yield from _error_lines(output, options)
    else:
        for mime, value in _bundle(output):
            yield from _mime_lines(mime, value, output.get("metadata"))


def _carriage_returns(text: str) -> str:
    """What a notebook shows of progress-bar text: each line's part after its last ``\\r``."""
    return re.sub(r"^.*\r+", "", re.sub(r"\r+\n", "\n", text), flags=re.MULTILINE)


def _error_lines(output: Mapping[str, Any], options: ShowOptions) -> Iterator[str]:
    traceback = output.get("traceback")
    if isinstance(traceback, list) and traceback:
        for frame in traceback:
            yield from safe_plain(str(frame)).splitlines()
    else:
        text = safe_plain(f"{output.get('ename', '')}: {output.get('evalue', '')}")
        yield _paint(text, _RED, options)


def _bundle(output: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(mime, value) pairs, text/plain first."""
    data = mime_bundle(output) or {}
    return sorted(data.items(), key=lambda item: (item[0] != "text/plain", item[0]))


def _mime_lines(mime: str, value: Any, metadata: Any) -> Iterator[str]:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if mime == "text/plain":
        yield from safe_plain(text).splitlines()
    elif mime in _IMAGE:
        size = image_size(mime, text, metadata.get(mime) if isinstance(metadata, dict) else None)
        yield safe_plain(f"[{mime} {size}]")
    else:
        yield safe_plain(f"[{mime} {_bytes(len(text.encode('utf-8', 'replace')))}]")


def _bytes(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KiB"
