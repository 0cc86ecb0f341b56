"""Published outputs into notebooks: the filter's source of records, and working files.

- The filter (``git checkout``, ``git pull``, ...) gets ``published_records`` as its other source
  of records: one ``git cat-file`` process for the whole git command, started only when a
  notebook has no whole working file in the cache and the clone has published outputs at all.
- ``restore_files`` (``nbcollab outputs restore``) fills the working files that are exactly their
  staged blob (as a fresh clone leaves them) with what the filter would have written on
  checkout, through the same restore, checked the same way: ``git status`` stays clean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path

from nbcollab.errors import GitError, InvalidNotebook, NbcollabError
from nbcollab.files import read_file_bytes, write_atomic
from nbcollab.git.outputs.refs import outputs_tips
from nbcollab.git.plumbing import CatFile
from nbcollab.gitcmd import run_git
from nbcollab.options import CleanOptions
from nbcollab.output_cache.keys import RestoreRule
from nbcollab.output_cache.others import OtherCell
from nbcollab.output_cache.store import OutputStore
from nbcollab.published.layout import Origin
from nbcollab.published.source import PublishedCell, PublishedSource
from nbcollab.safe_text import quote_path

_FILTER = "nbcollab"
_UNMATCHED = re.compile(r"pathspec '(.*?)' did not match")


def published_records(cwd: Path) -> list[PublishedSource]:
    """The clone's published outputs as a source of records (none when it has none)."""
    tips = outputs_tips(cwd)
    return [PublishedSource(CatFile(cwd), tips)] if tips else []


class _Tracked:
    """A source that remembers where the cells it gave came from."""

    def __init__(self, source: PublishedSource) -> None:
        self._source = source
        self.origins: list[Origin] = []

    def has_records(self, path: str) -> bool:
        return self._source.has_records(path)

    def find_cells(
        self, path: str, blob: str, wanted: Set[str], rule: RestoreRule
    ) -> Mapping[str, OtherCell]:
        found: dict[str, PublishedCell] = self._source.find_published(path, blob, wanted, rule)
        for cell in found.values():
            if cell.origin not in self.origins:
                self.origins.append(cell.origin)
        return {
            key: (cell.outputs, cell.execution_count, cell.record) for key, cell in found.items()
        }

    def take_problems(self) -> list[str]:
        return self._source.take_problems()


@dataclass
class RestoreReport:
    """Which files got outputs (and from whom), and which did not and why."""

    restored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # the paths of the files written


def restore_files(root: Path, pathspecs: Sequence[str], cwd: Path) -> RestoreReport:
    """Fill the working notebooks under ``pathspecs`` (relative to ``cwd``; none: all) that are
    exactly their staged blob with their published outputs (and the cache's own)."""
    from nbcollab.config.folders import OptionsByFolder
    from nbcollab.config.load import load_config
    from nbcollab.output_cache.session import find_store, read_enabled

    report = RestoreReport()
    tips = outputs_tips(root)
    if pathspecs:
        _staged_notebooks(root, pathspecs, cwd)  # a mistyped path is an error, not a no-op
    if not tips:
        report.skipped.append("no published outputs here: run `nbcollab outputs fetch` first")
        return report
    staged = _staged_notebooks(root, pathspecs, cwd)
    if not filter_installed(root):
        report.skipped.append(
            "the clean filter is not installed, so restored outputs would show as changes "
            "(run `nbcollab install`)"
        )
        return report
    filtered = _filtered(root, list(staged))
    store = find_store(root)
    recording = read_enabled(root)
    rule = load_config(root).cache.restore
    options_for = OptionsByFolder(root)
    with CatFile(root) as cat:
        source = _Tracked(PublishedSource(cat, tips))
        blobs = dict(zip(staged, cat.read_many(list(staged.values()), limit=1 << 29)))
        for path, blob in blobs.items():
            if path not in filtered:
                report.skipped.append(f"{quote_path(path)}: not cleaned by nbcollab's filter")
            elif blob is not None and blob.data is not None:
                options = options_for(path)
                _restore_one(
                    root, path, blob.data, source, store, options, rule, report, recording=recording
                )
    _refresh_index(root, report)
    return report


def _refresh_index(root: Path, report: RestoreReport) -> None:
    """Tell the index what the restored files are now (their blob, unchanged): git trusts a
    file's size, and without this ``git status`` would call them modified until ``git add``."""
    if not report.written:
        return
    listing = "".join(f"{path}\0" for path in report.written).encode("utf-8", "surrogateescape")
    try:
        run_git(["update-index", "-q", "-z", "--stdin"], root, stdin=listing)
    except GitError as exc:
        report.skipped.append(f"git status may call the restored notebooks modified ({exc})")


def _restore_one(
    root: Path,
    path: str,
    blob: bytes,
    source: _Tracked,
    store: OutputStore,
    options: CleanOptions,
    rule: RestoreRule,
    report: RestoreReport,
    *,
    recording: bool,
) -> None:
    from nbcollab.output_cache.restore import (
        record_working_file,
        restore_cells,
        restore_working_file,
    )

    file = root / path
    try:
        working = read_file_bytes(file) if not file.is_symlink() else None
    except InvalidNotebook:
        working = None
    if working is None or (working != blob and not _cleans_to(working, blob, path, options)):
        why = "not a regular file" if working is None else "has changes of its own"
        report.skipped.append(f"{quote_path(path)}: {why}; left as it is")
        return
    source.origins.clear()
    # A file with some outputs already (a checkout before the fetch): cell by cell, since the
    # cache knows that very file whole.
    restore = restore_working_file if working == blob else restore_cells
    restored = restore(
        blob, path, store=store, options=options, rule=rule, others=[source], recorded=recording
    )
    report.skipped += [f"published outputs skipped: {p}" for p in source.take_problems()]
    if restored is None or restored == working:
        # Nothing recorded or published for its cells, or nothing it does not have already.
        why = (
            "no outputs published or cached for its cells" if working == blob else "nothing to add"
        )
        report.skipped.append(f"{quote_path(path)}: {why}")
        return
    if working != blob and not only_adds(working, restored):
        report.skipped.append(f"{quote_path(path)}: has outputs of its own; left as it is")
        return
    try:
        write_atomic(file, restored, root=root)
    except NbcollabError as exc:  # a folder leading out of the repository, a full disk
        report.skipped.append(str(exc))
        return
    report.written.append(path)
    if recording:  # so that git's next look at it is a look-up, as after a checkout
        record_working_file(restored, blob, path, store=store, options=options, rule=rule)
    origins = "; ".join(origin.describe() for origin in source.origins) or "the output cache"
    report.restored.append(f"{quote_path(path)}: outputs of {origins}")


def _cleans_to(working: bytes, blob: bytes, path: str, options: CleanOptions) -> bool:
    """Whether ``working`` is ``blob`` with outputs (the filter stores it as ``blob``)."""
    from nbcollab.clean.strip import clean_bytes

    try:
        return clean_bytes(working, path=path, options=options) == blob
    except InvalidNotebook:
        return False


def only_adds(working: bytes, restored: bytes) -> bool:
    """Whether ``restored`` keeps every output and execution count ``working`` has (cell for
    cell: both clean to the same blob) and only fills cells that have none."""
    from nbcollab.notebook.codec import parse_notebook
    from nbcollab.notebook.json_equal import same_value
    from nbcollab.notebook.lines import iter_cells

    old, new = iter_cells(parse_notebook(working)), iter_cells(parse_notebook(restored))
    if len(old) != len(new):
        return False
    for before, after in zip(old, new):
        if before.get("outputs") or before.get("execution_count") is not None:
            same = same_value(before.get("outputs"), after.get("outputs"))
            if not same or before.get("execution_count") != after.get("execution_count"):
                return False
    return True


def _staged_notebooks(root: Path, pathspecs: Sequence[str], cwd: Path) -> dict[str, str]:
    """Root-relative path -> staged blob id of each notebook under ``pathspecs``; NbcollabError
    naming a pathspec that matches nothing git knows, or a file that is not a notebook."""
    specs = list(pathspecs) or [":(top)*.ipynb"]
    for spec in pathspecs:
        literal = not spec.startswith(":") and not any(c in spec for c in "*?[")
        if literal and not spec.rstrip("/").endswith(".ipynb") and not (cwd / spec).is_dir():
            raise NbcollabError(f"{quote_path(spec)}: not a notebook (.ipynb)")
    try:
        run_git(["ls-files", "-z", "--error-unmatch", "--", *specs], cwd)
    except GitError as exc:
        unmatched = _UNMATCHED.search(str(exc))
        if unmatched is None:
            raise
        raise NbcollabError(
            f"{quote_path(unmatched[1])}: no such notebook in the repository "
            "(`git ls-files '*.ipynb'` lists them)"
        ) from None
    out = run_git(["ls-files", "-s", "-z", "--full-name", "--", *specs], cwd)
    found = {}
    for entry in filter(None, out.split(b"\0")):
        meta, _, name = entry.partition(b"\t")
        mode, oid, stage = meta.decode().split()
        path = name.decode("utf-8", "surrogateescape")
        if stage == "0" and mode in ("100644", "100755") and path.endswith(".ipynb"):
            found[path] = oid
    return found


def filter_installed(root: Path) -> bool:
    """Whether nbcollab's filter process is set up in the repository at ``root``."""
    try:
        run_git(["config", "--get", f"filter.{_FILTER}.process"], root)
    except GitError:
        return False
    return True


def _filtered(root: Path, paths: Sequence[str]) -> set[str]:
    if not paths:
        return set()
    request = "".join(f"{path}\0" for path in paths).encode("utf-8", "surrogateescape")
    out = run_git(["check-attr", "-z", "--stdin", "filter"], root, stdin=request).split(b"\0")
    return {
        out[k].decode("utf-8", "surrogateescape")
        for k in range(0, len(out) - 2, 3)
        if out[k + 2] == _FILTER.encode()
    }
