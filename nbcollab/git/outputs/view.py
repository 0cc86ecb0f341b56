"""Published outputs on pages: ``nbcollab show`` and the review page (``diff --format html``).

Committed notebooks (a revision's or the index's blob, or a working file still without outputs)
get the outputs published for them, by the restore rule, and a line saying where they came
from. Nothing here writes a file. A damaged or hostile outputs ref or record is skipped with one
warning; what the sound ones hold is shown.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from nbcollab.errors import NbcollabError
from nbcollab.git.outputs.refs import outputs_tips
from nbcollab.git.plumbing import CatFile
from nbcollab.git.revisions import NotebookPair
from nbcollab.gitcmd import run_git
from nbcollab.notebook.lines import Notebook
from nbcollab.output_cache.keys import RestoreRule
from nbcollab.published.layout import Origin
from nbcollab.published.source import PublishedSource, fill_published
from nbcollab.render.diffs import NotebookSides


class PublishedView:
    """Published outputs for notebooks shown on a page or a terminal (``show``, review page)."""

    def __init__(self, root: Path, rule: RestoreRule) -> None:
        tips = outputs_tips(root)
        self._cat = CatFile(root) if tips else None
        self._source = PublishedSource(self._cat, tips) if self._cat else None
        self._rule = rule
        self.problems: list[str] = []

    def fill(self, nb: Notebook, path: str, blob: bytes) -> list[Origin]:
        """Fill ``nb`` (parsed from ``blob``, committed at ``path``) in place; the origins."""
        if self._source is None:
            return []
        key = hashlib.sha256(blob).hexdigest()
        origins = fill_published(nb, path, key, self._source, self._rule)
        # A damaged ref or record is skipped, said once; the sound ones are shown.
        self.problems += [f"published outputs skipped ({p})" for p in self._source.take_problems()]
        return origins

    def close(self) -> None:
        """End the reading process."""
        if self._cat is not None:
            self._cat.close()

    def __enter__(self) -> PublishedView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe_origins(label: str, origins: list[Origin]) -> str:
    """``a/nb.ipynb (HEAD): outputs published by Alice <a@x>, commit 1a2b3c4d5e, 2024-05-01``."""
    return f"{label}: outputs published by {'; '.join(o.describe() for o in origins)}"


def read_revision_file(spec: str, cwd: Path) -> tuple[bytes, str] | None:
    """The blob ``REV:PATH`` names (git's syntax) and its path from the top of the repository;
    None when ``spec`` names no blob."""
    rev, _, path = spec.partition(":")
    if not rev or not path or spec.startswith("-"):
        return None
    try:
        prefix = run_git(["rev-parse", "--show-prefix"], cwd).decode().strip()
        data = run_git(["cat-file", "blob", spec], cwd)
    except NbcollabError:
        return None
    if path.startswith(("./", "../")):
        path = os.path.normpath(os.path.join(prefix, path))
    return data, path


def with_published_outputs(
    root: Path,
    pairs: Sequence[NotebookPair],
    sides: Sequence[NotebookSides],
    *,
    new_committed: bool,
) -> tuple[list[NotebookSides], list[str]]:
    """The review page's sides with the outputs published for their committed versions (the old
    side always is one; the new side when it is a revision or the index, not the work tree),
    and the problems met (a damaged ref: the notebooks as committed)."""
    from nbcollab.config.load import load_config

    done = []
    with PublishedView(root, load_config(root).cache.restore) as view:
        for pair, side in zip(pairs, sides):
            if pair.unmerged:
                done.append(side)
                continue
            origins = []
            for label, nb, blob in (
                (side.old_name, side.old, pair.old),
                (side.new_name, side.new, pair.new if new_committed else None),
            ):
                found = view.fill(nb, pair.path, blob) if nb is not None and blob else []
                origins += [describe_origins(label, found)] if found else []
            done.append(dataclasses.replace(side, origins=tuple(origins)))
    return done, view.problems


def published_for_show(nb: Notebook, data: bytes, path: str, cwd: Path) -> list[str]:
    """Fill ``nb`` (parsed from ``data``, the notebook at ``path`` from the top of the repository
    holding ``cwd``) with its published outputs; lines saying where they came from, or what was
    wrong with them."""
    from nbcollab.config.load import load_config
    from nbcollab.git.outputs.refs import repository_root

    try:
        root = repository_root(cwd)
    except NbcollabError:
        return []  # not in a repository: nothing published to show
    with PublishedView(root, load_config(root).cache.restore) as view:
        origins = view.fill(nb, path, data)
    lines = [describe_origins("outputs", origins).replace(": outputs published", " published", 1)]
    return (lines if origins else []) + [f"warning: {problem}" for problem in view.problems]
