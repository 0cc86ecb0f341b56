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

from nbcollab.diff.compute import diff_notebooks
from nbcollab.notebook.codec import Notebook, parse_notebook, strip_transient
from nbcollab.options import CleanOptions, DiffFormat, DiffOptions
from nbcollab.render.safe_text import terminal_safe
from nbcollab.render.text import TextStyle, render_text

_PLAIN = TextStyle()
_DEFAULT_OPTIONS = DiffOptions()
# json.dumps escapes C0 controls itself; these it leaves raw although a terminal acts on them.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class NotebookSides:
    """Two versions of one notebook, parsed; ``names`` label them in the output."""

    old_name: str
    new_name: str
    old: Notebook
    new: Notebook
    key: str  # the path the JSON output files this pair under
    note: str = ""  # a line shown before the text diff (an unmerged path)
    unmerged: bool = False  # a conflicted path, different whatever its diff
    # This notebook's own [tool.nbcollab.diff] (its folder's); None: the options of the call.
    options: DiffOptions | None = None


def empty_notebook() -> Notebook:
    """The side of a notebook that does not exist (added or deleted)."""
    return {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def load_side(data: bytes | None, *, path: str, clean: CleanOptions | None = None) -> Notebook:
    """Parse one side (``None``: absent, an empty notebook), cleaned when ``clean`` is given."""
    if data is None:
        return empty_notebook()
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
) -> tuple[str, bool]:
    """(rendered output, whether anything differs). ``keyed``: JSON maps each path to its diff.

    Each pair is compared under its own options when it carries them, else under ``options``."""
    pairs = [p if p.options is not None else dataclasses.replace(p, options=options) for p in pairs]
    pairs = [normalized_sides(p) if _options(p).normalize_outputs else p for p in pairs]
    diffs = [diff_notebooks(p.old, p.new, options=_options(p)) for p in pairs]
    different = any(not d.equal or p.unmerged for p, d in zip(pairs, diffs))
    if fmt is DiffFormat.TEXT:
        return "".join(
            _note(p) + render_text(d, old_name=p.old_name, new_name=p.new_name, style=style)
            for p, d in zip(pairs, diffs)
        ), different
    if fmt is DiffFormat.HTML:
        from nbcollab.render.html import render_html
        from nbcollab.render.show import notebook_language

        # Highlight each notebook in its kernel's language (a deleted one's: its old side's).
        languages = {
            p.new_name: notebook_language(p.new if p.new.get("metadata") else p.old) for p in pairs
        }
        page = render_html(
            [(p.old_name, p.new_name, d) for p, d in zip(pairs, diffs)], languages=languages
        )
        return page, different
    return _render_json(pairs, keyed), different


def _options(pair: NotebookSides) -> DiffOptions:
    return pair.options if pair.options is not None else _DEFAULT_OPTIONS


def normalized_sides(pair: NotebookSides) -> NotebookSides:
    """Both sides with their outputs normalized (copies) exactly as ``clean --normalize`` does,
    with the pair's [tool.nbcollab.normalize], so only real changes remain."""
    import copy

    from nbcollab.clean.normalize import normalize_in_place

    normalize = _options(pair).normalize_options
    old, new = copy.deepcopy(pair.old), copy.deepcopy(pair.new)
    normalize_in_place(old, options=normalize)
    normalize_in_place(new, options=normalize)
    return dataclasses.replace(pair, old=old, new=new)


def _note(pair: NotebookSides) -> str:
    return f"{terminal_safe(pair.note)}\n" if pair.note else ""


def _render_json(pairs: Sequence[NotebookSides], keyed: bool) -> str:
    from nbcollab.render.nbdime import to_nbdime_diff

    entries = {p.key: to_nbdime_diff(p.old, p.new, options=_options(p)) for p in pairs}
    value = entries if keyed else next(iter(entries.values()), [])
    text = json.dumps(value, indent=1, ensure_ascii=False)
    # Only strings can hold them, where a \u escape is the same JSON value, safe to print.
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"
