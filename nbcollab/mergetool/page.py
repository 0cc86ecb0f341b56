"""The mergetool's page: the notebooks as cells, each conflict with its sides and its choices.

The server renders everything; the page's script only sends actions and swaps in the HTML it gets
back. Every string from a notebook or a file name goes through ``html.escape``,
``nbcollab.mergetool.safe_html`` or the review page's ``render.html_outputs``; the
Content-Security-Policy runs no script but the tool's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from nbcollab.merge.record import CellTypeConflict, ConflictKind, ValuesConflict
from nbcollab.merge.resolve import Resolution
from nbcollab.mergetool.safe_html import json_html, source_diff_html, values_html
from nbcollab.mergetool.session import FileDeletion, Session, cell_key, describe_left
from nbcollab.mergetool.views import SIDES, ConflictView
from nbcollab.mergetool.wording import (
    column_title,
    describe_conflict,
    notebook_labels,
    record_labels,
)
from nbcollab.notebook.absent import ABSENT
from nbcollab.notebook.cells import cell_name
from nbcollab.notebook.lines import cell_source, iter_cells
from nbcollab.render.html_outputs import output_body, render_markdown


def content_policy(style_nonce: str | None = None, *, header: bool = True) -> str:
    """The Content-Security-Policy: the tool's own files only, ``data:`` images, no network.

    The editor adds its theme as a ``<style>`` element, allowed by a nonce made for each page
    (never from a notebook: their HTML is sanitized, with no ``<style>`` at all).
    """
    nonce = f" 'nonce-{style_nonce}'" if style_nonce else ""
    policy = (
        f"default-src 'none'; script-src 'self'; style-src 'self'{nonce}; img-src data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'"
    )
    # Browsers ignore frame-ancestors in a <meta> element (and say so in the console).
    return policy + "; frame-ancestors 'none'" if header else policy


BUTTON_NAMES = {
    Resolution.OURS: "Use ours",
    Resolution.THEIRS: "Use theirs",
    Resolution.BASE: "Use base",
    Resolution.UNION: "Use both",
    Resolution.UNION_THEIRS_FIRST: "Use both, theirs first",
}


def render_page(sessions: Sequence[Session], *, style_nonce: str) -> str:
    """The whole page (the script and style come from ``static/``, relative to the token)."""
    names = ", ".join(s.path for s in sessions)
    policy = content_policy(style_nonce, header=False)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        f'<meta name="nbcollab-style-nonce" content="{style_nonce}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>nbcollab mergetool: {escape(names)}</title>\n"
        '<link rel="stylesheet" href="static/mergetool.css">\n'
        '<script type="module" src="static/mergetool.js"></script></head>\n<body>\n'
        f'{_toolbar(sessions)}\n<main id="notebooks">{render_notebooks(sessions)}</main>\n'
        "</body></html>\n"
    )


def _toolbar(sessions: Sequence[Session]) -> str:
    return (
        '<header class="toolbar"><strong>nbcollab mergetool</strong>'
        f'<span id="counter" role="status" aria-live="polite"{_done(sessions)}>'
        f"{describe_left(sessions)}</span>"
        '<button type="button" data-action="previous" title="p">Previous conflict</button>'
        '<button type="button" data-action="next" title="n">Next conflict</button>'
        '<button type="button" data-action="undo" title="u">Undo</button>'
        '<button type="button" data-action="save" class="primary">Save</button>'
        '<button type="button" data-action="quit">Quit without saving</button>'
        '<p id="message" role="status" aria-live="polite"></p></header>'
    )


def _done(sessions: Sequence[Session]) -> str:
    return ' class="done"' if not any(s.left() for s in sessions) else ""


def render_notebooks(sessions: Sequence[Session]) -> str:
    """Every notebook of the run (what the script swaps in after each action)."""
    several = len(sessions) > 1
    return "\n".join(_notebook(number, s, several) for number, s in enumerate(sessions))


def _notebook(file: int, session: Session, several: bool) -> str:
    done = " done" if not session.left() else ""
    left = f' <span class="left{done}">{describe_left([session])}</span>' if several else ""
    parts = [f'<section class="notebook" data-file="{file}"><h1>{escape(session.path)}{left}</h1>']
    if session.deletion is not None:
        parts.append(_deletion(file, session.deletion))
    views = session.conflicts()
    labels = notebook_labels(views)
    by_cell: dict[int, list[ConflictView]] = {}
    for view in views:
        by_cell.setdefault(view.cell, []).append(view)
    cells = iter_cells(session.notebook)
    quiet: list[int] = []
    for index, cell in enumerate(cells):
        if index not in by_cell and cell_key(cell, index) not in session.watched:
            quiet.append(index)
            continue
        parts.append(_collapsed(session, quiet))
        quiet = []
        parts.append(_conflicted_cell(file, session, index, cell, by_cell.get(index, []), labels))
    parts.append(_collapsed(session, quiet))
    if not views and session.deletion is None:
        parts.append('<p class="muted">No conflict left in this notebook.</p>')
    return "\n".join(p for p in parts if p) + "</section>"


def _collapsed(session: Session, indices: list[int]) -> str:
    if not indices:
        return ""
    cells = iter_cells(session.notebook)
    count = len(indices)
    body = "".join(
        f'<div class="cell quiet"><div class="cell-title">{_title(session, k)}</div>'
        f"<pre>{escape(cell_source(cells[k]))}</pre></div>"
        for k in indices
    )
    return (
        f'<details class="unchanged"><summary>{count} cell{"s" * (count > 1)} without '
        f"conflicts</summary>{body}</details>"
    )


def _title(session: Session, index: int) -> str:
    cell = iter_cells(session.notebook)[index]
    return f"{escape(cell_name(index, cell))} &middot; {escape(str(cell.get('cell_type')))}"


def _conflicted_cell(
    file: int,
    session: Session,
    index: int,
    cell: dict[str, Any],
    views: list[ConflictView],
    labels: dict[Resolution, str],
) -> str:
    text = cell_source(cell)
    state = "conflicted" if views else "resolved"
    done = "" if views else " &middot; resolved"
    # The note cell a notebook-metadata conflict adds is the merge's own, not the author's: its
    # conflict is all there is to it (resolving removes it).
    note_cell = any(v.entry.kind is ConflictKind.NOTEBOOK_METADATA for v in views)
    title = "Notebook metadata" if note_cell else _title(session, index)
    parts = [f'<section class="cell {state}"><h2>{title}{done}</h2>']
    # A markdown preview shows the cell's content, not the note lines of its other conflicts.
    notes = {
        v.entry.note.rstrip("\n")
        for v in views
        if isinstance(v.entry, (ValuesConflict, CellTypeConflict)) and v.entry.note
    }
    parts += [_conflict(file, session, cell, view, labels, notes) for view in views]
    if not note_cell:
        parts.append(_result(file, session, index, cell, text))
    return "\n".join(parts) + "</section>"


def _result(file: int, session: Session, index: int, cell: dict[str, Any], text: str) -> str:
    """The cell's editable text, with Apply and Discard (the page's script shows what is pending)."""
    lines = text.count("\n") + 1
    # The HTML parser drops a newline right after <textarea>: one is written before the text,
    # so that a text which starts with a newline keeps it.
    where = f'data-file="{file}" data-cell="{index}"'
    return (
        f'<div class="result"><label for="r-{file}-{index}">Result (editable)</label>'
        f'<textarea id="r-{file}-{index}" class="editor" spellcheck="false" '
        f'rows="{min(max(lines, 3), 30)}" {where} '
        f'data-lang="{_language(session.notebook, cell)}">\n'
        f'{escape(text)}</textarea><div class="edit-actions">'
        f'<button type="button" data-action="edit" {where}>Apply edit</button>'
        f'<button type="button" data-action="discard" {where} hidden>Discard edit</button>'
        '<span class="pending-note" hidden>Edited, not applied yet: Apply edit, or Save, applies '
        "it</span></div></div>"
    )


def _language(nb: dict[str, Any], cell: dict[str, Any]) -> str:
    """What the result editor highlights: Python code cells of a Python notebook, else nothing."""
    meta = nb.get("metadata", {})
    names = [
        (meta.get("language_info") or {}).get("name"),
        (meta.get("kernelspec") or {}).get("language"),
    ]
    return "python" if cell.get("cell_type") == "code" and "python" in names else ""


def _conflict(
    file: int,
    session: Session,
    cell: dict[str, Any],
    view: ConflictView,
    labels: dict[Resolution, str],
    notes: set[str],
) -> str:
    labels = {**labels, **record_labels(view.entry)}
    columns = "".join(
        f'<div class="side side-{side.value}"><h3>{escape(column_title(side, labels))}</h3>'
        f"{_side_html(view, side, cell, _highlighted_as(session.notebook, cell), notes)}</div>"
        for side in SIDES
    )
    buttons = "".join(
        f'<button type="button" data-action="choose" data-file="{file}" '
        f'data-number="{view.number}" data-choice="{choice.value}">'
        f"{BUTTON_NAMES[choice]}</button>"
        for choice in view.choices
    )
    return (
        f'<div class="conflict" tabindex="-1" id="c-{file}-{view.number}">'
        f'<p class="why">{describe_conflict(view.entry, labels)}</p>'
        f'<div class="sides">{columns}</div><div class="choices">{buttons}</div></div>'
    )


def _highlighted_as(nb: dict[str, Any], cell: dict[str, Any]) -> str:
    """The Pygments language of the side columns (markdown cells too, unlike the editor)."""
    return _language(nb, cell) or ("markdown" if cell.get("cell_type") == "markdown" else "")


def _side_html(
    view: ConflictView, side: Resolution, cell: dict[str, Any], language: str, notes: set[str]
) -> str:
    value = view.sides.get(side)
    kind = view.entry.kind
    if kind in (ConflictKind.SOURCE, ConflictKind.DELETE_EDIT):
        if value is None:
            return '<p class="muted">(cell deleted)</p>'
        base = view.sides.get(Resolution.BASE)
        base_text = base if isinstance(base, str) and side is not Resolution.BASE else value
        html = source_diff_html(base_text, value, language)
        if cell.get("cell_type") == "markdown":
            shown = "".join(
                line for line in value.splitlines(True) if line.rstrip("\n") not in notes
            )
            html += f'<div class="md">{render_markdown(shown)}</div>'
        return html
    if kind is ConflictKind.OUTPUTS:
        outputs = value if isinstance(value, list) else []
        return (
            "".join(f'<div class="output">{output_body(o)}</div>' for o in outputs)
            or '<p class="muted">(no output)</p>'
        )
    if isinstance(view.entry, ValuesConflict):
        base = view.sides.get(Resolution.BASE) if side is not Resolution.BASE else None
        return values_html(view.sides[side], base)
    return json_html(value) if value is not None else values_html({"": ABSENT}, None)


def _deletion(file: int, deletion: FileDeletion) -> str:
    """Git's modify/delete: one conflict for the whole notebook, keep it or delete it."""
    labels = dict(zip((Resolution.OURS, Resolution.THEIRS), deletion.labels))
    deleted = Resolution(deletion.deleted_by)
    kept = Resolution.THEIRS if deleted is Resolution.OURS else Resolution.OURS
    decided = {None: "", True: " &middot; decided: keep it", False: " &middot; decided: delete it"}
    buttons = ""
    for side in (Resolution.OURS, Resolution.THEIRS):
        keep = side is kept
        buttons += (
            f'<button type="button" data-action="file" data-file="{file}" '
            f'data-keep="{str(keep).lower()}">{BUTTON_NAMES[side]}</button>'
            f'<span class="muted">{"keeps" if keep else "deletes"} the notebook</span>'
        )
    why = f"Deleted by {column_title(deleted, labels)}, modified by {column_title(kept, labels)}"
    state = "conflicted" if deletion.keep is None else "resolved"
    return (
        f'<section class="cell {state}"><h2>The whole notebook{decided[deletion.keep]}</h2>'
        f'<div class="conflict" tabindex="-1" id="c-{file}-file"><p class="why">{escape(why)}</p>'
        f'<div class="choices">{buttons}</div></div></section>'
    )
