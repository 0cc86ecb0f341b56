"""Three-way merges of the parts of one cell: source text, JSON values, outputs.

Pure functions. Each returns the merged value and what conflicted; what to write for a conflict (git
markers in the source, the value kept) is decided here so that every written notebook stays valid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from merge3 import Merge3

from nbcollab.merge.line_match import LineMatcher, matching_blocks
from nbcollab.merge.markers import terminated
from nbcollab.merge.record import SourceHunk, ValueConflict
from nbcollab.notebook.absent import ABSENT
from nbcollab.options import NormalizeOptions, OutputStrategy

_DEFAULT_NORMALIZE = NormalizeOptions()


@dataclass(frozen=True)
class MergeLabels:
    """The branch names written on conflict markers, and the marker size git asks for (%L)."""

    ours: str = "ours"
    theirs: str = "theirs"
    base: str = "base"
    marker_size: int = 7

    def start(self) -> str:
        return "<" * self.marker_size + " " + self.ours + "\n"

    def mid(self) -> str:
        return "=" * self.marker_size + "\n"

    def end(self) -> str:
        return ">" * self.marker_size + " " + self.theirs + "\n"


@dataclass
class TextMerge:
    """A merged text and, in order, the record of each conflict hunk written into it.

    Each hunk keeps both sides' lines (what resolving puts back, never re-read from the markers)
    and its base; a region split on lines both sides agreed on carries its whole base in its
    first hunk, and the agreed text before and after each hunk (which ``--base`` drops).
    """

    text: str
    hunks: list[SourceHunk] = field(default_factory=list)


def merge_text(base: str, local: str, remote: str, *, labels: MergeLabels) -> TextMerge:
    """Line-level diff3 of three texts, with git-style markers around each conflicting hunk."""
    if local == remote or remote == base:
        return TextMerge(local)
    if local == base:
        return TextMerge(remote)
    # Compare lines with their newline so that an edit of the last line is not a conflict with an
    # append after it; whether the text ends with a newline is merged on its own, except inside
    # a conflict, where each side keeps its own ending.
    texts = (base, local, remote)
    ends = [text.endswith("\n") or not text for text in texts]
    lines = [_lines(text) for text in texts]
    open_end = [bool(text) and not text.endswith(("\n", "\r")) for text in texts]
    out: list[str] = []
    merged = TextMerge("")
    merger = Merge3(lines[0], lines[1], lines[2], sequence_matcher=LineMatcher)
    for region in merger.merge_regions():
        _emit_region(merger, region, out, merged, labels, open_end)
    merged.text = "".join(out)
    _place_hunks(merged, out)
    if not merge_scalar(ends[0], ends[1], ends[2]) and merged.text.endswith("\n"):
        merged.text = merged.text[:-1]
    return merged


def _lines(text: str) -> list[str]:
    lines = text.splitlines(True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


def _exact(lines: Sequence[str], start: int, stop: int, open_end: bool) -> list[str]:
    """``lines[start:stop]`` as the version has them: its last line without the newline
    ``_lines`` gave it, when the version had none."""
    picked = list(lines[start:stop])
    if open_end and picked and stop == len(lines):
        picked[-1] = picked[-1][:-1]
    return picked


def _emit_region(
    merger: Merge3,
    region: tuple,
    out: list[str],
    merged: TextMerge,
    labels: MergeLabels,
    open_end: list[bool],
) -> None:
    kind = region[0]
    if kind == "unchanged":
        out.extend(merger.base[region[1] : region[2]])
    elif kind in ("a", "same"):
        out.extend(merger.a[region[1] : region[2]])
    elif kind == "b":
        out.extend(merger.b[region[1] : region[2]])
    else:
        _, z0, z1, a0, a1, b0, b1 = region
        base_text = "".join(_exact(merger.base, z0, z1, open_end[0]))
        agreed, first = "", len(merged.hunks)
        ours_lines = _exact(merger.a, a0, a1, open_end[1])
        theirs_lines = _exact(merger.b, b0, b1, open_end[2])
        for common, ours, theirs in _refine_conflict(ours_lines, theirs_lines):
            if ours or theirs:
                at = len(out)  # a position in ``out`` for now: _place_hunks makes it an offset
                ours_text, theirs_text = "".join(ours), "".join(theirs)
                out.extend(
                    [
                        labels.start(),
                        terminated(ours_text),
                        labels.mid(),
                        terminated(theirs_text),
                        labels.end(),
                    ]
                )
                # The base of a split region cannot be split: the first hunk carries all of it.
                merged.hunks.append(
                    SourceHunk(
                        base=base_text, ours=ours_text, theirs=theirs_text, before=agreed, at=at
                    )
                )
                base_text = agreed = ""
            out.extend(common)
            agreed += "".join(common)
        if len(merged.hunks) > first:
            merged.hunks[-1] = dataclasses.replace(merged.hunks[-1], after=agreed)


def _place_hunks(merged: TextMerge, out: list[str]) -> None:
    """Turn each hunk's position in the list of written lines into its offset in the text."""
    offsets: dict[int, int] = {}  # keyed by ``hunk.at``, which the merge set on each hunk
    total, hunks = 0, iter(merged.hunks)
    wanted = {hunk.at for hunk in merged.hunks}
    for number, line in enumerate(out):
        if number in wanted:
            offsets[number] = total
        total += len(line)
    merged.hunks = [dataclasses.replace(h, at=offsets[h.at]) for h in hunks]


def _refine_conflict(a: list[str], b: list[str]) -> list[tuple[list[str], list[str], list[str]]]:
    """Split a conflict on the lines both sides agree on, as git's zealous merge does.

    Returns (common, ours, theirs) triples in which the common lines come after the hunk. Agreed
    runs without any letter or digit (blank lines, brackets) do not split a conflict, so that one
    edit does not become many tiny hunks.
    """
    pieces: list[tuple[list[str], list[str], list[str]]] = []
    prev_a = prev_b = 0
    for start_a, start_b, size in matching_blocks(a, b, autojunk=False):
        if size and not any(ch.isalnum() for line in a[start_a : start_a + size] for ch in line):
            continue
        pieces.append((a[start_a : start_a + size], a[prev_a:start_a], b[prev_b:start_b]))
        prev_a, prev_b = start_a + size, start_b + size
    return pieces


def merge_scalar(base: Any, local: Any, remote: Any) -> Any:
    """The side that changed; ``local`` when both changed (callers check for that first)."""
    if local == base:
        return remote
    return local


@dataclass(frozen=True)
class ValuePolicy:
    """Paths (key tuples) that merge specially.

    ``volatile``: written by a kernel or an interface, not by authors; when both sides changed
    one differently, ours is kept without a conflict (paths below a listed one too).
    ``atomic``: a dict that only makes sense whole (a kernelspec): merged as one value, never key
    by key, so that a merge cannot mix the two sides' kernels.
    ``sets``: lists of strings whose order and repeats mean nothing (cell tags): merged as
    ordered sets, both sides' additions and removals kept. Any other list is one value.
    """

    volatile: frozenset[tuple[str, ...]] = frozenset()
    atomic: frozenset[tuple[str, ...]] = frozenset()
    sets: frozenset[tuple[str, ...]] = frozenset()

    def is_volatile(self, path: tuple[str, ...]) -> bool:
        return any(path[:size] in self.volatile for size in range(1, len(path) + 1))


def local_kernel_note(base: Any, local: Any, remote: Any) -> str | None:
    """Why ours is kept when both sides switched to different kernels of one language, or None.

    Each side ran the notebook in its own environment (``python3`` against
    ``python38-azureml``): that is local, not authored, so it is no conflict. A change of
    language still is.
    """
    if not (isinstance(local, dict) and isinstance(remote, dict)) or local == remote:
        return None
    if base in (local, remote):
        return None
    language = local.get("language")
    if not isinstance(language, str) or not language or remote.get("language") != language:
        return None
    return (
        f"kernelspec: both sides changed the {language} kernel; kept ours "
        f"({local.get('name')!r}, theirs {remote.get('name')!r})"
    )


def merge_values(
    base: Any,
    local: Any,
    remote: Any,
    *,
    path: tuple[str, ...] = (),
    policy: ValuePolicy = ValuePolicy(),
) -> tuple[Any, list[ValueConflict]]:
    """Recursive three-way merge of JSON values; ``ABSENT`` stands for an absent key.

    Dicts merge key by key, the string lists at ``policy.sets`` paths (tags) as ordered sets;
    anything else both sides changed differently is a conflict that keeps ours (silently for a
    volatile path). Other lists are not sets: merging them so would drop a repeat a side added.
    """
    if local == remote or remote == base:
        return local, []
    if local == base:
        return remote, []
    if isinstance(local, dict) and isinstance(remote, dict) and path not in policy.atomic:
        return _merge_dicts(base if isinstance(base, dict) else {}, local, remote, path, policy)
    if (
        path in policy.sets
        and _string_list(local)
        and _string_list(remote)
        and (base is ABSENT or _string_list(base))
    ):
        return _merge_string_lists(base if base is not ABSENT else [], local, remote), []
    # Delete against edit keeps the edited value: nothing a side wrote is dropped.
    kept = remote if local is ABSENT else local
    if policy.is_volatile(path):
        return kept, []
    return kept, [ValueConflict(path, base, local, remote)]


def _merge_dicts(
    base: dict, local: dict, remote: dict, path: tuple[str, ...], policy: ValuePolicy
) -> tuple[dict, list[ValueConflict]]:
    merged: dict[str, Any] = {}
    conflicts: list[ValueConflict] = []
    for key in [*local, *(k for k in remote if k not in local)] + [
        k for k in base if k not in local and k not in remote
    ]:
        value, found = merge_values(
            base.get(key, ABSENT),
            local.get(key, ABSENT),
            remote.get(key, ABSENT),
            path=(*path, key),
            policy=policy,
        )
        conflicts.extend(found)
        if value is not ABSENT:
            merged[key] = value
    return merged, conflicts


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _merge_string_lists(base: list[str], local: list[str], remote: list[str]) -> list[str]:
    removed = (set(base) - set(local)) | (set(base) - set(remote))
    merged = [item for item in local if item not in removed]
    merged.extend(item for item in remote if item not in removed and item not in merged)
    return list(dict.fromkeys(merged))


@dataclass
class OutputMerge:
    """Merged outputs and execution count; ``conflict`` when both sides changed the outputs."""

    outputs: list[Any]
    count: Any
    conflict: bool = False
    cleared: bool = False
    sections: tuple[int, int, int] = (0, 0, 0)  # ours, base, theirs between the marker outputs
    counts: tuple[Any, Any, Any] = (None, None, None)  # base, ours, theirs (for resolving)


def merge_outputs(
    base: tuple[list[Any], Any],
    local: tuple[list[Any], Any] | None,
    remote: tuple[list[Any], Any] | None,
    *,
    strategy: OutputStrategy,
    labels: MergeLabels,
    marker_output: Any,
    normalize: NormalizeOptions = _DEFAULT_NORMALIZE,
) -> OutputMerge:
    """Resolve outputs and execution count (derived data) by ``strategy``.

    ``base``/``local``/``remote`` are (outputs, count); a missing side takes the other's.
    ``marker_output(text)`` builds the stream output used as a visible marker under ``conflict``.
    Outputs equal once normalized by ``normalize`` (as ``clean --normalize`` would) are equal.
    """
    if strategy is OutputStrategy.CLEAR:
        return OutputMerge([], None)
    local = local or remote or base
    remote = remote or local
    count = _merge_count(base[1], local[1], remote[1])
    outs_l, outs_r, outs_b = local[0], remote[0], base[0]
    if _same_outputs(outs_l, outs_r, normalize) or _same_outputs(outs_r, outs_b, normalize):
        return OutputMerge(outs_l, count)
    if _same_outputs(outs_l, outs_b, normalize):
        return OutputMerge(outs_r, count)
    return _resolve_output_conflict(
        outs_b, outs_l, outs_r, (base[1], local[1], remote[1]), strategy, labels, marker_output
    )


def _same_outputs(a: list[Any], b: list[Any], normalize: NormalizeOptions) -> bool:
    """Equal, or equal once normalized: a re-run that changed only volatile text changed nothing."""
    if a == b:
        return True
    if not a or not b:
        return False
    from nbcollab.clean.normalize import normalize_outputs

    return normalize_outputs(a, options=normalize) == normalize_outputs(b, options=normalize)


def _merge_count(base: Any, local: Any, remote: Any) -> Any:
    if local == remote or remote == base:
        return local
    if local == base:
        return remote
    return None  # both re-ran the cell: neither count describes the merged notebook


def _resolve_output_conflict(
    outs_b: list[Any],
    outs_l: list[Any],
    outs_r: list[Any],
    counts: tuple[Any, Any, Any],
    strategy: OutputStrategy,
    labels: MergeLabels,
    marker_output: Any,
) -> OutputMerge:
    count_l, count_r = counts[1], counts[2]
    if strategy is OutputStrategy.OURS:
        return OutputMerge(outs_l, count_l)
    if strategy is OutputStrategy.THEIRS:
        return OutputMerge(outs_r, count_r)
    if strategy is OutputStrategy.UNION:
        return OutputMerge(outs_l + [out for out in outs_r if out not in outs_l], count_l)
    if strategy is OutputStrategy.CONFLICT:
        size = labels.marker_size
        outputs = [
            marker_output(labels.start()),
            *outs_l,
            marker_output("|" * size + " " + labels.base + "\n"),
            *outs_b,
            marker_output(labels.mid()),
            *outs_r,
            marker_output(labels.end()),
        ]
        return OutputMerge(
            outputs,
            count_l,
            conflict=True,
            sections=(len(outs_l), len(outs_b), len(outs_r)),
            counts=counts,
        )
    return OutputMerge([], None, cleared=True)
