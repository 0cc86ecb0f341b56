"""Render notebook diffs as one self-contained, static HTML review page.

One page for a whole change (every notebook of a pull request's worth): a summary, a table of
contents, each changed cell as a section that the navigation (buttons, ``n``/``p``, ``j``/``k``)
steps through, and runs of unchanged cells folded into ``<details>``.

Everything that comes from a notebook (file names, sources, outputs, metadata) is untrusted and
escaped or sanitized (``render_html_outputs``). The Content-Security-Policy admits nothing but
``data:`` images, the page's own stylesheet and its own navigation script, both by hash
(``render_html_assets``); no ``'unsafe-inline'``, no network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from html import escape

from nbcollab.diff.compute import CellDiff, NotebookDiff, source_of
from nbcollab.notebook.cells import cell_number
from nbcollab.render.html_assets import content_security_policy, page_script, page_stylesheet
from nbcollab.render.html_cells import changed_cell_html, unchanged_cells_html, value_chips
from nbcollab.render.html_outputs import render_markdown, render_mime, sanitize_html

__all__ = [
    "ReviewCounts",
    "ReviewSection",
    "count_changes",
    "page_csp",
    "render_html",
    "render_markdown",
    "render_mime",
    "render_page",
    "render_section",
    "sanitize_html",
]

_LABEL = re.compile(r"^[ab]/(?P<path>.+) \((?P<side>[^()]*)\)$")


@dataclass
class ReviewCounts:
    """What changed, for the summary at the top of the page."""

    notebooks: int = 0
    added: int = 0
    removed: int = 0
    modified: int = 0
    moved: int = 0
    outputs: int = 0

    def add(self, other: ReviewCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def count_changes(diff: NotebookDiff) -> ReviewCounts:
    """Cells added, removed, modified (moved counted apart) and outputs changed in one diff."""
    counts = ReviewCounts(notebooks=0 if diff.equal else 1)
    for cell in diff.cells:
        if cell.status in ("added", "removed", "modified"):
            setattr(counts, cell.status, getattr(counts, cell.status) + 1)
        counts.moved += cell.moved
        counts.outputs += len(cell.outputs)
    return counts


def page_csp() -> str:
    """The Content-Security-Policy every page carries."""
    return content_security_policy(page_stylesheet(), page_script())


@dataclass(frozen=True)
class ReviewSection:
    """One notebook's part of the page: its heading, article, contents entry and counts."""

    name: str
    article: str
    toc: str
    counts: ReviewCounts


def render_html(
    diffs: Sequence[tuple[str, str, NotebookDiff]],
    *,
    languages: Mapping[str, str] | None = None,
    origins: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """One review page for the given (old name, new name, diff) triples.

    ``languages`` maps a new name to the notebook's language (a Pygments lexer name); Python
    when not given. ``origins`` maps a new name to lines saying where the published outputs
    shown for it came from (a badge above the notebook).
    """
    languages = languages or {}
    origins = origins or {}
    return render_page(
        [
            render_section(k, old, new, diff, languages.get(new, "python"), origins.get(new, ()))
            for k, (old, new, diff) in enumerate(diffs, start=1)
        ]
    )


def render_section(
    number: int, old: str, new: str, diff: NotebookDiff, language: str, origins: Sequence[str]
) -> ReviewSection:
    """The ``number``-th notebook's section of the page (each can be rendered on its own)."""
    counts = count_changes(diff)
    name, sub = _heading(old, new)
    anchor = f"nb{number}"
    article = _notebook_html(anchor, name, sub, diff, language, origins)
    return ReviewSection(name, article, _toc_entry(anchor, name, counts, diff), counts)


def render_unreadable_section(number: int, old: str, new: str, why: str) -> ReviewSection:
    """The ``number``-th notebook's section when a side is not a notebook: ``why``, one line."""
    name, sub = _heading(old, new)
    anchor = f"nb{number}"
    article = (
        f'<article class="notebook" id="{anchor}"><header><h2><span class="badge removed">'
        f'not read</span> {escape(name)}</h2><span class="sub">{escape(sub)}</span></header>'
        # A change of its own, so that n/p stop at it.
        f'<section class="cell change removed" id="{anchor}-unread">'
        f'<p class="unreadable">{escape(why)}</p></section></article>'
    )
    toc = f'<li><a href="#{anchor}">{escape(name)}</a> <span class="sub">(not read)</span></li>'
    return ReviewSection(name, article, toc, ReviewCounts(notebooks=1))


def render_page(sections: Sequence[ReviewSection]) -> str:
    """The page holding ``sections``, in their order, under one summary and table of contents."""
    total = ReviewCounts()
    for section in sections:
        total.add(section.counts)
    names = [section.name for section in sections]
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    title = "nbcollab review: " + (", ".join(names[:3]) + more if names else "no notebook changed")
    articles = [section.article for section in sections] or [
        '<p class="muted">No notebook differs between the two sides.</p>'
    ]
    toc = _toc_html([section.toc for section in sections])
    return _page(title, _summary_html(total, len(sections)), toc, "\n".join(articles))


def _page(title: str, summary: str, toc: str, body: str) -> str:
    style, script = page_stylesheet(), page_script()
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" '
        f'content="{content_security_policy(style, script)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{style}</style></head>\n<body>\n"
        f'<header class="top"><h1>{escape(title)}</h1>{summary}</header>\n'
        '<nav class="bar"><button id="nav-prev" type="button">&larr; previous</button>'
        '<button id="nav-next" type="button">next &rarr;</button>'
        '<span id="nav-pos">&ndash;</span><span class="sub">keys: <kbd>n</kbd>/<kbd>p</kbd> '
        "or <kbd>j</kbd>/<kbd>k</kbd></span></nav>\n"
        f"<main>{toc}\n{body}</main>\n<script>{script}</script>\n</body></html>\n"
    )


def _heading(old: str, new: str) -> tuple[str, str]:
    """(title, subtitle): one path with its two revisions, or both names when they differ."""
    a, b = _LABEL.match(old), _LABEL.match(new)
    if a and b and a["path"] == b["path"]:
        return a["path"], f"{a['side']} → {b['side']}"
    return (new, f"from {old}") if old != new else (new, "")


def _summary_html(total: ReviewCounts, listed: int) -> str:
    items = [
        (total.notebooks, "notebook", "changed"),
        (total.added, "cell", "added"),
        (total.removed, "cell", "removed"),
        (total.modified, "cell", "modified"),
        (total.moved, "cell", "moved"),
        (total.outputs, "output", "changed"),
    ]
    chips = "".join(
        f'<span class="chip{" zero" * (n == 0)}"><span class="num">{n}</span> '
        f"{word}{'s' * (n != 1)} {what}</span>"
        for n, word, what in items
    )
    same = listed - total.notebooks
    if same:
        chips += f'<span class="chip">{same} without differences</span>'
    return f'<div class="summary">{chips}</div>'


def _toc_entry(anchor: str, name: str, counts: ReviewCounts, diff: NotebookDiff) -> str:
    marks = [
        f"+{counts.added}" if counts.added else "",
        f"−{counts.removed}" if counts.removed else "",
        f"~{counts.modified}" if counts.modified else "",
    ]
    cells = "".join(
        f'<li><a href="#{anchor}-c{k}">{escape(_cell_label(cell))}</a>'
        f'<span class="snip">{escape(_first_line(cell))}</span></li>'
        for k, cell in enumerate(diff.cells)
        if cell.changed
    )
    status = notebook_status(diff)
    marks.insert(0, f"({status})" if status else "")
    return (
        f'<li><a href="#{anchor}">{escape(name)}</a> <span class="sub">'
        f"{' '.join(m for m in marks if m) or 'no cell changes'}</span>"
        f"{f'<ol>{cells}</ol>' if cells else ''}</li>"
    )


def _cell_label(cell: CellDiff) -> str:
    index = cell.new_index if cell.new_index is not None else cell.old_index
    state = cell.status if cell.status != "unchanged" else ""
    moved = "moved" if cell.moved else ""
    return f"cell {cell_number(index or 0)}: {', '.join(s for s in (state, moved) if s)}"


def _first_line(cell: CellDiff, limit: int = 40) -> str:
    """The first non-blank line of a cell's source, shortened: which cell it is, at a glance."""
    text = source_of(cell.new if cell.new is not None else cell.old)
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _toc_html(entries: list[str]) -> str:
    return f'<nav class="toc"><h2>Contents</h2><ol>{"".join(entries)}</ol></nav>'


def notebook_status(diff: NotebookDiff) -> str:
    """'added' or 'deleted' when one side has no cells (a new or removed file), else ''."""
    states = {cell.status for cell in diff.cells}
    return {frozenset({"added"}): "added", frozenset({"removed"}): "deleted"}.get(
        frozenset(states), ""
    )


def _notebook_html(
    anchor: str, name: str, sub: str, diff: NotebookDiff, language: str, origins: Sequence[str]
) -> str:
    status = notebook_status(diff)
    badge = (
        f'<span class="badge {status.replace("deleted", "removed")}">{status}</span> '
        if status
        else ""
    )
    parts = [
        f'<header><h2>{badge}{escape(name)}</h2><span class="sub">{escape(sub)}</span></header>'
    ]
    parts += [
        f'<p class="origin"><span class="badge published">published outputs</span> '
        f"{escape(line)}</p>"
        for line in origins
    ]
    if diff.equal:
        parts.append('<p class="muted">No differences.</p>')
    if diff.metadata:
        parts.append(
            f'<section class="cell change modified" id="{anchor}-meta">'
            f'<div class="cellhead"><span class="badge modified">modified</span>'
            f"<strong>notebook metadata</strong></div>{value_chips(diff.metadata)}"
            "</section>"
        )
    run: list[CellDiff] = []
    for k, cell in enumerate(diff.cells):
        if not cell.changed:
            run.append(cell)
            continue
        parts.append(unchanged_cells_html(run, language))
        run = []
        parts.append(changed_cell_html(cell, f"{anchor}-c{k}", language))
    parts.append(unchanged_cells_html(run, language))
    return (
        f'<article class="notebook" id="{anchor}">'
        + "\n".join(p for p in parts if p)
        + "</article>"
    )
