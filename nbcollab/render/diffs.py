"""Turn pairs of notebook files into a rendered diff (text, nbdime JSON or HTML).

The edge between the diff core and the interfaces (``nbcollab diff``, the git diff driver): it
parses both sides, applies the clean rules where asked, diffs and renders.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbcollab.diff.compute import NotebookDiff, diff_notebooks
from nbcollab.errors import ConfigError
from nbcollab.notebook.cells import CellSelector, NoSuchCell, parse_selector
from nbcollab.notebook.codec import Notebook, parse_notebook, strip_transient
from nbcollab.notebook.lines import iter_cells
from nbcollab.options import CleanOptions, DiffFormat, DiffOptions, NormalizeOptions
from nbcollab.render.text import TextStyle, render_text
from nbcollab.safe_text import terminal_safe

if TYPE_CHECKING:
    from nbcollab.render.html import ReviewSection

_PLAIN = TextStyle()
_DEFAULT_OPTIONS = DiffOptions()
_DEFAULT_NORMALIZE = NormalizeOptions()
# json.dumps escapes C0 controls itself; these it leaves raw although a terminal acts on them.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class NotebookSides:
    """Two versions of one notebook, parsed; ``names`` label them in the output."""

    old_name: str
    new_name: str
    old: Notebook | None  # None: the notebook does not exist on this side (added or deleted)
    new: Notebook | None
    key: str  # the path the JSON output files this pair under
    note: str = ""  # a line shown before the text diff (an unmerged path)
    unmerged: bool = False  # a conflicted path, different whatever its diff
    # This notebook's own [tool.nbcollab.diff] (its folder's); None: the options of the call.
    options: DiffOptions | None = None
    origins: tuple[str, ...] = ()  # where published outputs shown on the page came from
    # Why a side could not be read (one line: the file, the place, what to do); such a pair is
    # said, in the note, on the page and on stderr, and left out of nbdime's JSON.
    unreadable: str = ""


def absent_notebook(like: Notebook | None) -> Notebook:
    """The side of a notebook that does not exist (added or deleted): no cells, no metadata, in
    the format of the side that exists, so that an added notebook's format version is no change."""
    nb: Notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    for key in ("nbformat", "nbformat_minor"):
        if like is not None and key in like:
            nb[key] = like[key]
    if nb["nbformat"] == 3:  # its cells live in worksheets
        del nb["cells"]
        nb["worksheets"] = [{"cells": [], "metadata": {}}]
    return nb


def both_sides(pair: NotebookSides) -> tuple[Notebook, Notebook]:
    """The two notebooks of ``pair``, an absent one as the other side's empty notebook."""
    old = pair.old if pair.old is not None else absent_notebook(pair.new)
    return old, pair.new if pair.new is not None else absent_notebook(pair.old)


def load_side(
    data: bytes | None, *, path: str, clean: CleanOptions | None = None
) -> Notebook | None:
    """Parse one side (``None``: absent), cleaned when ``clean`` is given."""
    if data is None:
        return None
    # Compared as Jupyter reads them: the keys it drops on every read are no difference.
    nb = strip_transient(parse_notebook(data, path=path))
    if clean is not None:
        from nbcollab.clean.strip import clean_notebook

        nb = clean_notebook(nb, options=clean)
    return nb


def render_diffs(
    pairs: Sequence[NotebookSides],
    *,
    fmt: DiffFormat,
    options: DiffOptions = _DEFAULT_OPTIONS,
    style: TextStyle = _PLAIN,
    keyed: bool = False,
    cell: str | None = None,
    jobs: int = 1,
) -> tuple[str, bool]:
    """(rendered output, whether anything differs). ``keyed``: JSON maps each path to its diff.

    Each pair is compared under its own options when it carries them, else under ``options``.
    ``cell``: a ``--cell`` selector; only those cells of each pair are shown and compared (text
    and HTML: nbdime's JSON is a diff of whole notebooks). The review page renders its notebooks
    on ``jobs`` processes (``nbcollab.workers``)."""
    pairs = [p if p.options is not None else dataclasses.replace(p, options=options) for p in pairs]
    selector = None
    if cell is not None:
        if fmt is DiffFormat.JSON:
            raise ConfigError(
                "--cell shows some cells of a diff, and nbdime's JSON is a diff of whole "
                "notebooks: leave --cell out, or use --format text or html"
            )
        selector = parse_selector(cell)
    if fmt is DiffFormat.HTML:
        return _render_page(pairs, selector, jobs)
    sides = [_compared_sides(p) for p in pairs]
    diffs = [
        _diff(p, old, new, None if p.unreadable else selector)
        for p, (old, new) in zip(pairs, sides)
    ]
    different = any(not d.equal or p.unmerged or p.unreadable for p, d in zip(pairs, diffs))
    if fmt is DiffFormat.TEXT:
        return "".join(
            _note(p) + render_text(d, old_name=p.old_name, new_name=p.new_name, style=style)
            for p, d in zip(pairs, diffs)
        ), different
    read = [(p, side) for p, side in zip(pairs, sides) if not p.unreadable]
    return _render_json([p for p, _ in read], [side for _, side in read], keyed), different


def select_diff_cells(
    diff: NotebookDiff,
    old: Notebook,
    new: Notebook,
    selector: CellSelector,
    *,
    names: tuple[str, str],
) -> NotebookDiff:
    """Only the cells ``selector`` names: numbered and named in the new notebook, or, when it
    names none there (a removed cell's id), in the old one. NoSuchCell when it names neither."""
    try:
        wanted = set(selector.select(iter_cells(new), name=names[1]))
        kept = [c for c in diff.cells if c.new_index in wanted]
    except NoSuchCell as in_new:
        try:
            wanted = set(selector.select(iter_cells(old), name=names[0]))
        except NoSuchCell:
            raise in_new from None
        kept = [c for c in diff.cells if c.old_index in wanted]
    return dataclasses.replace(diff, cells=tuple(kept), metadata=())


def _compared_sides(pair: NotebookSides) -> tuple[Notebook, Notebook]:
    options = _options(pair)
    sides = both_sides(pair)
    return normalized(*sides, options.normalize_options) if options.normalize_outputs else sides


def _diff(
    pair: NotebookSides, old: Notebook, new: Notebook, selector: CellSelector | None
) -> NotebookDiff:
    """The pair's diff under its options; only the selected cells when there is a selector."""
    diff = diff_notebooks(old, new, options=_options(pair))
    if selector is None:
        return diff
    return select_diff_cells(diff, old, new, selector, names=(pair.old_name, pair.new_name))


def _render_page(
    pairs: Sequence[NotebookSides], selector: CellSelector | None, jobs: int
) -> tuple[str, bool]:
    from nbcollab.render.html import render_page
    from nbcollab.workers import map_in_order

    work = [(number, pair, selector) for number, pair in enumerate(pairs, start=1)]
    reviewed = list(map_in_order(_review_section, work, jobs=jobs))
    return render_page([section for _, section in reviewed]), any(d for d, _ in reviewed)


def _review_section(
    job: tuple[int, NotebookSides, CellSelector | None],
) -> tuple[bool, ReviewSection]:
    """One notebook's section of the review page, and whether it differs (run on a worker)."""
    from nbcollab.render.html import render_section
    from nbcollab.render.show import notebook_language

    number, pair, selector = job
    if pair.unreadable:
        from nbcollab.render.html import render_unreadable_section

        return True, render_unreadable_section(
            number, pair.old_name, pair.new_name, pair.unreadable
        )
    old, new = _compared_sides(pair)
    diff = _diff(pair, old, new, selector)
    # Highlighted in its kernel's language (a deleted notebook's: its old side's).
    language = notebook_language(new if new.get("metadata") else old)
    section = render_section(number, pair.old_name, pair.new_name, diff, language, pair.origins)
    return not diff.equal or pair.unmerged, section


def _options(pair: NotebookSides) -> DiffOptions:
    return pair.options if pair.options is not None else _DEFAULT_OPTIONS


def normalized(
    old: Notebook, new: Notebook, normalize: NormalizeOptions = _DEFAULT_NORMALIZE
) -> tuple[Notebook, Notebook]:
    """Both sides with their outputs normalized (copies) exactly as ``clean --normalize`` does
    with ``normalize`` (the pair's [tool.nbcollab.normalize]), so only real changes remain."""
    import copy

    from nbcollab.clean.normalize import normalize_in_place

    old, new = copy.deepcopy(old), copy.deepcopy(new)
    normalize_in_place(old, options=normalize)
    normalize_in_place(new, options=normalize)
    return old, new


def _note(pair: NotebookSides) -> str:
    return f"{terminal_safe(pair.note)}\n" if pair.note else ""


def _render_json(
    pairs: Sequence[NotebookSides], sides: list[tuple[Notebook, Notebook]], keyed: bool
) -> str:
    from nbcollab.render.nbdime import to_nbdime_diff

    entries = {
        p.key: to_nbdime_diff(old, new, options=_options(p)) for p, (old, new) in zip(pairs, sides)
    }
    value = entries if keyed else next(iter(entries.values()), [])
    text = json.dumps(value, indent=1, ensure_ascii=False)
    # Only strings can hold them, where a \u escape is the same JSON value, safe to print.
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"
