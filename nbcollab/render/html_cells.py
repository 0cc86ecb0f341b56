"""One cell of the review page: header with badges and tag chips, source, outputs, other changes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from nbcollab.diff.compute import CellDiff, ValueChange, source_of
from nbcollab.notebook.absent import ABSENT
from nbcollab.notebook.cells import cell_number
from nbcollab.render.html_outputs import cell_outputs_html, render_markdown, sides
from nbcollab.render.html_source import source_diff_table, source_table

_CHIP_LIMIT = 300  # characters of a JSON value shown in a chip; the rest is elided


def cell_language(cell: Mapping[str, Any], language: str) -> str:
    """The Pygments lexer name for a cell's source."""
    kind = cell.get("cell_type")
    return language if kind == "code" else ("markdown" if kind == "markdown" else "")


def changed_cell_html(cell: CellDiff, anchor: str, language: str) -> str:
    """A changed cell, as one navigable section."""
    body = cell.new if cell.new is not None else (cell.old or {})
    lang = cell_language(body, language)
    parts = [_cell_header(cell, body), _source_html(cell, lang)]
    if body.get("cell_type") == "markdown" and cell.status in ("added", "removed"):
        parts.append(_markdown_div(body))
    elif body.get("cell_type") == "markdown" and cell.source_changed:
        parts.append(sides(_markdown_div(cell.old), _markdown_div(cell.new)))
    parts.append(cell_outputs_html(cell))
    extra = [*cell.other, *cell.metadata, *cell.attachments]
    if cell.execution_count is not None:
        extra.append(cell.execution_count)
    parts.append(value_chips(extra))
    return (
        f'<section class="cell change {cell.status}" id="{anchor}">'
        + "\n".join(p for p in parts if p)
        + "</section>"
    )


def _source_html(cell: CellDiff, lang: str) -> str:
    old, new = source_of(cell.old), source_of(cell.new)
    if cell.status == "added":
        return source_table(new, lang, status="added")
    if cell.status == "removed":
        return source_table(old, lang, status="removed")
    if cell.source_changed:
        return source_diff_table(old, new, lang)
    # Only outputs or metadata changed: the source stays at hand, folded, to say which cell it is.
    lines = new.count("\n") + 1 if new else 0
    return (
        f"<details><summary>source unchanged ({lines} line{'s' * (lines != 1)})</summary>"
        f"{source_table(new, lang)}</details>"
    )


def _cell_header(cell: CellDiff, body: Mapping[str, Any]) -> str:
    index = cell.new_index if cell.new_index is not None else cell.old_index
    badges = []
    if cell.status != "unchanged":
        badges.append(f'<span class="badge {cell.status}">{cell.status}</span>')
    if cell.moved:
        badges.append(f'<span class="badge moved">moved from {_number(cell.old_index)}</span>')
    return (
        f'<div class="cellhead">{"".join(badges)}<strong>cell {_number(index)}</strong>'
        f'<span class="sub">{escape(_describe(body))}</span>{tag_chips(body)}</div>'
    )


def _describe(cell: Mapping[str, Any]) -> str:
    """'code · id abc · [5]'."""
    words = [str(cell.get("cell_type", "?"))]
    if isinstance(cell.get("id"), str):
        words.append(f"id {cell['id']}")
    count = cell.get("execution_count", cell.get("prompt_number"))
    if isinstance(count, int):
        words.append(f"[{count}]")
    return " · ".join(words)


def tag_chips(cell: Mapping[str, Any]) -> str:
    """The cell's tags as chips (nothing when it has none)."""
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    if not isinstance(tags, list) or not tags:
        return ""
    return "".join(f'<span class="chip tag">{escape(str(t))}</span>' for t in tags)


def value_chips(changes: Sequence[ValueChange]) -> str:
    """Changed keys as chips: ``key old → new``, an absent side said in words."""
    if not changes:
        return ""
    items = []
    for change in changes:
        path = ".".join(str(part) for part in change.path)
        if change.old is ABSENT:
            value = f"added <ins>{_short(change.new)}</ins>"
        elif change.new is ABSENT:
            value = f"removed <del>{_short(change.old)}</del>"
        else:
            value = f"<del>{_short(change.old)}</del> → <ins>{_short(change.new)}</ins>"
        items.append(f'<li class="chip"><span class="key">{escape(path)}</span> {value}</li>')
    return f'<ul class="chips">{"".join(items)}</ul>'


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    if len(text) > _CHIP_LIMIT:
        text = text[:_CHIP_LIMIT] + f"… ({len(text)} characters)"
    return escape(text)


def _markdown_div(cell: Mapping[str, Any] | None) -> str:
    return "" if cell is None else f'<div class="md">{render_markdown(source_of(cell))}</div>'


def unchanged_cells_html(cells: Sequence[CellDiff], language: str) -> str:
    """A run of unchanged cells, folded into one expandable block."""
    if not cells:
        return ""
    first = cells[0].new_index
    last = cells[-1].new_index
    where = f"cell {_number(first)}" if first == last else f"cells {_number(first)}–{_number(last)}"
    inner = []
    for cell in cells:
        body = cell.new or {}
        # Plain text: these are context, folded away, and highlighting every cell of every
        # notebook would make the page several times slower to build and larger to open.
        inner.append(
            f'<section class="cell unchanged">{_cell_header(cell, body)}'
            f"{source_table(source_of(body), '')}</section>"
        )
    n = len(cells)
    return (
        f'<details class="unchanged"><summary>{n} unchanged cell{"s" * (n > 1)} ({where})'
        f"</summary>{''.join(inner)}</details>"
    )


def _number(index: int | None) -> str:
    return "?" if index is None else str(cell_number(index))
