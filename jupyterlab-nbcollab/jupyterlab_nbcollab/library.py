"""Every call this extension makes into nbcollab's library, in one module.

The server extension only translates between HTTP and these functions; merging, resolving,
diffing, rendering and linting are nbcollab's own code. Notebooks come in as bytes (the editor's
model or the file) and are read by ``parse_notebook``, the one way in; results go out as plain
JSON values. Nothing here writes a notebook: the editor saves what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbcollab.errors import ConfigError, NbcollabError
from nbcollab.gitcmd import run_git
from nbcollab.merge.conflicts import STALE, find_conflicts, is_marked, locate_cell, read_record
from nbcollab.merge.markers import has_start_marker
from nbcollab.merge.record import SourceConflict
from nbcollab.merge.resolve import Resolution, resolve_conflicts
from nbcollab.mergetool.views import ConflictView, conflict_views
from nbcollab.notebook.codec import parse_notebook
from nbcollab.notebook.lines import Notebook, cell_source, iter_cells

# The four buttons, and what each resolves to (``nbcollab resolve --ours|--theirs|--base|--union``).
CHOICES = {
    "ours": Resolution.OURS,
    "theirs": Resolution.THEIRS,
    "base": Resolution.BASE,
    "both": Resolution.UNION,
}
_OFFERED = {
    Resolution.OURS: "ours",
    Resolution.THEIRS: "theirs",
    Resolution.BASE: "base",
    Resolution.UNION: "both",
}


def read_notebook(data: bytes, *, path: str) -> Notebook:
    """A notebook's bytes as nbcollab reads them; InvalidNotebook naming ``path`` otherwise."""
    return parse_notebook(data, path=path)


def warm_up() -> None:
    """Import what the endpoints use, so that the first request does not wait for it."""
    import nbcollab.git.revisions
    import nbcollab.lint.notebook
    import nbcollab.mergetool.sources
    import nbcollab.render.diffs
    import nbcollab.render.html  # noqa: F401


# --- conflicts --------------------------------------------------------------------------------


def describe_conflicts(nb: Notebook, *, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """The unresolved conflicts of ``nb``, each with its cell, its sides and its choices."""
    views = conflict_views(nb)
    found = labels or branch_labels(views)
    stale = sum(1 for f in find_conflicts(nb) if f.kind == STALE)
    cells = iter_cells(nb)
    edited = edited_markers(nb)
    return {
        "labels": found,
        "stale": stale,
        "edited": edited,
        "marked": loose_markers(nb, {view.cell for view in views} | set(edited)),
        "conflicts": [_view_json(view, cells[view.cell]) for view in views],
    }


def loose_markers(nb: Notebook, known: set[int]) -> list[int]:
    """Cells outside ``known`` (those with a recorded conflict) that hold a line like a conflict
    start marker: after the record was cleared, an undo can bring a conflict's marks back."""
    return [
        index
        for index, cell in enumerate(iter_cells(nb))
        if index not in known and has_start_marker(cell_source(cell))
    ]


def edited_markers(nb: Notebook) -> list[int]:
    """Cells whose conflict was taken over by hand (its marks edited, so no longer resolvable
    by a button) but which still hold conflict marker lines: worth a look before git add."""
    cells = iter_cells(nb)
    found = set()
    for entry in read_record(nb):
        index = locate_cell(entry, cells)
        if (
            index is not None
            and not is_marked(entry, cells[index])
            and has_start_marker(cell_source(cells[index]), entry.marker_size)
        ):
            found.add(index)
    return sorted(found)


def branch_labels(views: list[ConflictView]) -> dict[str, str]:
    """The branch names the merge wrote on its markers (``<<<<<<< main``), else ours/theirs."""
    for view in views:
        entry = view.entry
        if isinstance(entry, SourceConflict):
            ours = entry.markers[0][entry.marker_size :].strip()
            theirs = entry.markers[2][entry.marker_size :].strip()
            if ours or theirs:
                return {"ours": ours or "ours", "theirs": theirs or "theirs"}
    return {"ours": "ours", "theirs": "theirs"}


def _view_json(view: ConflictView, cell: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": view.number,
        "cell": view.cell,
        "cell_id": cell.get("id") if isinstance(cell.get("id"), str) else None,
        "kind": view.entry.kind.value,
        "description": view.description,
        "choices": [_OFFERED[c] for c in view.choices if c in _OFFERED],
        "sides": {side: _side_text(view, Resolution(side)) for side in ("base", "ours", "theirs")},
    }


def _side_text(view: ConflictView, side: Resolution) -> str | None:
    """What one side holds, as plain text (None: that side deleted the cell).

    A source conflict shows only its hunks, the lines both sides changed; outputs are shown as
    nbcollab's text of each output, never as markup.
    """
    entry = view.entry
    if isinstance(entry, SourceConflict):
        return "\n⋯\n".join(getattr(h, side.value).rstrip("\n") for h in entry.hunks)
    value = view.sides.get(side)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return _outputs_text(value) or "(no output)"
    import json

    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, default=str)


def _outputs_text(outputs: list[Any]) -> str:
    from nbcollab.render.output_text import describe_output, output_text

    lines: list[str] = []
    for output in outputs:
        if isinstance(output, dict):
            lines += [f"[{describe_output(output)}]", *output_text(output)]
    return "\n".join(lines)


@dataclass
class Resolved:
    """One conflict resolved: the cells that changed (by index in the input), the one removed,
    and the notebook's metadata after it.

    A choice keeps the conflict record as it was: the resolved entry only stops being marked,
    so undoing the choice in the editor (which brings its marks back) brings the conflict back
    too. "Mark resolved" clears the records whose marks are gone (``clear_stale``)."""

    changed: dict[int, dict[str, Any]]
    removed: int | None
    metadata: dict[str, Any]
    notebook: Notebook
    restored: bool = False  # outputs came back from the output cache (``clear_stale``)


def resolve_one(
    nb: Notebook, number: int, choice: str, *, cell: int | None = None, kind: str | None = None
) -> Resolved:
    """Resolve the record entry ``number`` of ``nb`` to ``choice``, as ``nbcollab resolve`` does.

    Entry numbers move as conflicts are resolved: ``cell`` and ``kind``, when given, must still
    be where that entry is and what it is. NbcollabError when it is already resolved, when the
    choice is not offered, or when one of the sides no longer fits what the cell holds.
    """
    if choice not in CHOICES:
        raise ConfigError(f"unknown choice {choice!r}: use one of {', '.join(CHOICES)}")
    view = next((v for v in conflict_views(nb) if v.number == number), None)
    if view is None:
        raise NbcollabError(f"conflict {number} is already resolved")
    if (cell is not None and view.cell != cell) or (
        kind is not None and view.entry.kind.value != kind
    ):
        raise NbcollabError("the notebook's conflicts changed meanwhile; choose again")
    offered = [_OFFERED[c] for c in view.choices if c in _OFFERED]
    if choice not in offered:
        raise NbcollabError(f"{view.description}: cannot use {choice}")
    outcome = resolve_conflicts(nb, CHOICES[choice], entry=number)
    if outcome.failed:
        raise NbcollabError("; ".join(outcome.failed))
    return _changes(nb, _with_record_of(nb, outcome.notebook), view.cell)


def _with_record_of(before: Notebook, after: Notebook) -> Notebook:
    """``after`` holding ``before``'s conflict record (its other metadata as resolved)."""
    metadata = dict(after.get("metadata", {}))
    own = before.get("metadata", {}).get("nbcollab")
    if own is None:
        metadata.pop("nbcollab", None)
    else:
        metadata["nbcollab"] = own
    return {**after, "metadata": metadata}


def clear_stale(nb: Notebook, file: Path | None = None) -> Resolved:
    """``nb`` with the records of conflicts resolved by hand cleared (their marks are gone).

    With the ``file`` it is saved to, a notebook left without conflicts also gets the outputs
    the output cache holds for its cells, as ``nbcollab resolve`` gives them (``refilled``):
    outputs the notebook already has are kept, and nothing comes back outside a repository with
    nbcollab's filter and cache installed."""
    after = resolve_conflicts(nb, None).notebook
    if file is None or find_conflicts(after):
        return _changes(nb, after, None)
    from nbcollab.git.refill import refilled
    from nbcollab.notebook.codec import serialize_notebook

    filled = refilled(file, serialize_notebook(after).encode("utf-8", "surrogatepass"))
    if filled is None:
        return _changes(nb, after, None)
    done = _changes(nb, parse_notebook(filled, path=file.name), None)
    done.restored = True
    return done


def _changes(before: Notebook, after: Notebook, at: int | None) -> Resolved:
    old, new = iter_cells(before), iter_cells(after)
    removed = None
    if len(new) == len(old) - 1 and at is not None:
        removed, old = at, old[:at] + old[at + 1 :]
    if len(new) != len(old):
        raise NbcollabError("resolving changed the notebook's cells in an unexpected way")
    changed = {
        _index(k, removed): cell for k, (was, cell) in enumerate(zip(old, new)) if was != cell
    }
    return Resolved(changed, removed, after.get("metadata", {}), after)


def _index(position: int, removed: int | None) -> int:
    """The index in the input notebook of the cell at ``position`` after ``removed`` went."""
    return position + 1 if removed is not None and position >= removed else position


def conflicts_left(nb: Notebook) -> list[str]:
    """Why ``nb`` is not resolved yet: its unresolved conflicts and stale records, one line each."""
    return [finding.message for finding in find_conflicts(nb)]


# --- git's stages -------------------------------------------------------------------------------


def git_state(file: Path) -> dict[str, Any]:
    """Whether git holds ``file`` unmerged, and which stages it has (1 base, 2 ours, 3 theirs)."""
    from nbcollab.mergetool.sources import repository_root, unmerged_entries

    root = repository_root(file)
    relative = _relative(file, root)
    if root is None or relative is None:
        return {"repository": False, "unmerged": False, "stages": []}
    stages = unmerged_entries(root, [relative]).get(relative, {})
    return {"repository": True, "unmerged": bool(stages), "stages": sorted(stages)}


def merged_from_stages(file: Path) -> Notebook:
    """The notebook as nbcollab's merge makes it from git's stages (conflicts marked and
    recorded), as ``nbcollab mergetool`` opens a notebook git merged as text."""
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.mergetool.sources import open_session

    options = ConfigByFolder().config_for(file).merge
    return open_session(file, options=options).notebook


def stage_file(file: Path) -> str:
    """``git add`` the resolved ``file`` once nothing is left to resolve in it; what was done."""
    from nbcollab.files import read_notebook_file
    from nbcollab.mergetool.sources import repository_root

    _, nb = read_notebook_file(file)
    left = conflicts_left(nb)
    if left:
        raise NbcollabError(f"{file.name}: not marked resolved: {left[0]}")
    root = repository_root(file)
    relative = _relative(file, root)
    if root is None or relative is None:
        return f"{file.name} is in no git repository: nothing to add"
    run_git(["add", "--", relative], root)
    return f"ran git add {relative}"


def _relative(file: Path, root: Path | None) -> str | None:
    if root is None:
        return None
    try:
        return file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


# --- diff ---------------------------------------------------------------------------------------


def branches(file: Path) -> list[str]:
    """The branches (local, then remote) of the repository holding ``file``."""
    from nbcollab.git.revisions import open_repo

    repo = open_repo(file.parent)
    heads = [head.name for head in repo.heads]
    remotes = [ref.name for remote in repo.remotes for ref in remote.refs]
    return heads + [name for name in remotes if not name.endswith("/HEAD")]


def review_page(file: Path, revision: str, current: bytes | None) -> str:
    """nbcollab's review page of ``file`` at ``revision`` against ``current`` (the editor's
    content; None: the file itself), cleaned as ``nbcollab diff REV -- FILE`` cleans it."""
    from nbcollab.config.folders import ConfigByFolder, OptionsByFolder
    from nbcollab.files import read_file_bytes
    from nbcollab.git.revisions import filtered_paths, is_revision, open_repo, read_side
    from nbcollab.options import DiffFormat
    from nbcollab.render.diffs import NotebookSides, load_side, render_diffs

    repo = open_repo(file.parent)
    # Never an option: git would read "--output=..." as one.
    if not revision or revision.startswith("-") or not is_revision(repo, revision):
        raise ConfigError(f"{revision!r} is not a revision of this repository")
    root = Path(repo.working_tree_dir).resolve()
    name = file.resolve().relative_to(root).as_posix()
    new = current if current is not None else read_file_bytes(file)
    configs = ConfigByFolder(root)
    clean = OptionsByFolder(configs=configs)(name) if name in filtered_paths(repo, [name]) else None
    old_label = f"a/{name} ({revision})"
    new_label = f"b/{name} ({'editor' if current is not None else 'working tree'})"
    pair = NotebookSides(
        old_label,
        new_label,
        load_side(read_side(repo, revision, name, root), path=old_label),
        load_side(new, path=new_label, clean=clean),
        name,
    )
    page, _ = render_diffs([pair], fmt=DiffFormat.HTML, options=configs.config_for(name).diff)
    return page


def review_policy() -> str:
    """The review page's Content-Security-Policy (its own script and style, by hash)."""
    from nbcollab.render.html import page_csp

    return page_csp()


# --- lint ---------------------------------------------------------------------------------------


def lint(nb: Notebook, file: Path) -> list[dict[str, Any]]:
    """The static lint findings of ``nb`` (execution order, hidden state) by ``file``'s folder
    options. Nothing is executed."""
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.lint.notebook import lint_notebook

    result = lint_notebook(nb, options=ConfigByFolder().config_for(file).lint)
    return [
        {
            "code": f.code,
            "message": f.message,
            "cell": f.cell - 1,  # 1-based in nbcollab's messages; an index for the editor
            "cell_id": f.cell_id,
            "line": f.line,
            "column": f.column,
        }
        for f in result.findings
    ]
