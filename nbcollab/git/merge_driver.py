"""The git merge driver: ``nbcollab git-merge %O %A %B %L %P [%S %X %Y]``.

Git gives the base (%O, empty for add/add), ours (%A, where the result goes), theirs (%B), the
conflict marker size (%L), the path (%P) and, from git 2.44 on, the labels (%S %X %Y). Exit 0 means
merged, 1 conflicts. The driver never dies: input that is not a notebook, or any failure of its
own, falls back to git's line merge (``git merge-file``), so it is never worse than plain git; if
even that fails, %A is left as it was and the exit code is 1.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nbcollab.errors import NbcollabError
from nbcollab.gitcmd import git_output, try_git
from nbcollab.safe_text import terminal_safe

if TYPE_CHECKING:
    from nbcollab.merge.values import MergeLabels
    from nbcollab.notebook.codec import Notebook
    from nbcollab.options import MergeOptions

USAGE = "usage: nbcollab git-merge %O %A %B %L %P [%S %X %Y]"
# With the clean filter, the merged blob has no outputs: the output cache puts them back.
RESTORE_DECIDES = (
    "not signed here: the merged blob has no outputs; the output cache puts yours back as git "
    "writes the file, and signs it then if they are outputs you trusted"
)
EXIT_CLEAN = 0
EXIT_CONFLICT = 1


@dataclass(frozen=True)
class DriverArgs:
    """What git passed to the driver."""

    base: str
    ours: str
    theirs: str
    marker_size: int
    path: str
    base_label: str | None = None
    ours_label: str | None = None
    theirs_label: str | None = None


def parse_driver_args(argv: list[str]) -> DriverArgs | None:
    """The driver's arguments, or None when git did not pass at least %O %A %B."""
    if len(argv) < 3:
        return None
    extra = [_given(value) for value in argv[3:8]] + [None] * 5
    size = extra[0]
    marker_size = int(size) if size and size.isdigit() and 0 < int(size) <= 1000 else 7
    return DriverArgs(
        argv[0], argv[1], argv[2], marker_size, extra[1] or argv[1], extra[2], extra[3], extra[4]
    )


def _given(value: str) -> str | None:
    # git before 2.44 passes unknown placeholders such as %X through unexpanded.
    return None if not value or (len(value) == 2 and value.startswith("%")) else value


def run_git_merge(argv: list[str]) -> int:
    """Merge as git's merge driver; returns the exit code and never raises."""
    args = parse_driver_args(argv)
    if args is None:
        _say(USAGE)
        return EXIT_CONFLICT
    try:
        return _merge(args)
    except KeyboardInterrupt:
        _say(f"{args.path}: interrupted; left unmerged")
        return EXIT_CONFLICT
    except Exception as exc:  # noqa: BLE001 - the driver must never die: fall back instead
        reason = str(exc) if isinstance(exc, NbcollabError) else f"internal error ({exc!r})"
        return fall_back_to_line_merge(args, reason)


def _merge(args: DriverArgs) -> int:
    from nbcollab.files import read_file_bytes
    from nbcollab.merge.notebook import merge_notebooks
    from nbcollab.notebook.codec import serialize_notebook
    from nbcollab.trust.notary import sign_merge_result

    raw = [read_file_bytes(p) for p in (args.base, args.ours, args.theirs)]
    base, ours, theirs = _parse_sides(args.path, raw)
    options = _load_options(args.path)
    result = merge_notebooks(base, ours, theirs, options=options, labels=merge_labels(args))
    text = serialize_notebook(result.notebook)
    trust_note = (
        sign_merge_result(
            text,
            inputs=raw,
            path=args.path,
            parsed=(base, ours, theirs),
            result=result.notebook,
        ).reason
        if options.sign
        else None
    )
    if trust_note is not None and _restore_decides(trust_note, args.path):
        trust_note = RESTORE_DECIDES
    write_result(args.ours, text)
    _say(f"merged {args.path}: " + ("clean" if result.clean else "CONFLICTS"))
    for line in result.summary() + ([trust_note] if trust_note else []):
        _say(f"  {line}")
    return EXIT_CLEAN if result.clean else EXIT_CONFLICT


def _parse_sides(path: str, raw: list[bytes]) -> tuple[Notebook | None, Notebook, Notebook]:
    """Base (None when the notebook is new on both sides), ours and theirs; keys repeated in
    their JSON said in one warning naming the sides (often all three hold the same file's)."""
    import warnings

    from nbcollab.notebook.codec import (
        DuplicateKeyWarning,
        parse_notebook_repeats,
        warn_repeated_keys,
    )

    parsed: dict[str, tuple[Notebook, list[str]]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DuplicateKeyWarning)
        for side, data in zip(("base", "ours", "theirs"), raw):
            if side != "base" or data.strip():
                parsed[side] = parse_notebook_repeats(data, path=f"{path} ({side})")
    repeated = {side: keys for side, (_, keys) in parsed.items() if keys}
    if repeated:
        keys = [key for found in repeated.values() for key in found]
        warn_repeated_keys(f"{path} ({', '.join(repeated)})", keys)
    base = parsed["base"][0] if "base" in parsed else None
    return base, parsed["ours"][0], parsed["theirs"][0]


def write_result(path: str, text: str) -> None:
    """Write the merged notebook over ``path`` all at once."""
    from nbcollab.files import write_atomic

    write_atomic(path, text.encode("utf-8", "surrogatepass"))


def _restore_decides(trust_note: str, path: str) -> bool:
    """Whether the result has no rich output only because the filter stripped it: git writes it
    through the filter with the output cache on, which restores outputs and decides trust."""
    from nbcollab.git.attributes import DRIVER_NAME
    from nbcollab.output_cache.session import read_enabled
    from nbcollab.trust.notary import NO_RICH_OUTPUT

    if trust_note != f"not signed: {NO_RICH_OUTPUT}":
        return False
    try:
        done = try_git(["check-attr", "-z", "filter", "--", path])
        return done.stdout.split(b"\0")[2:3] == [DRIVER_NAME.encode()] and read_enabled()
    except (NbcollabError, OSError):
        return False


def _load_options(path: str) -> MergeOptions:
    from nbcollab.config.fallback import load_or_default
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.options import MergeOptions

    # A broken pyproject.toml must not turn a notebook merge into a line merge. git runs the
    # driver at the top of the working tree and passes the notebook's path (%P) from there.
    return load_or_default(
        lambda: ConfigByFolder().config_for(path).merge,
        MergeOptions(),
        start=Path(path),
        warn=_say,
        using="the default merge options",
    )


def merge_labels(args: DriverArgs) -> MergeLabels:
    """Conflict labels: git's %X/%Y, else the branch names git merge leaves in the environment."""
    from nbcollab.merge.values import MergeLabels

    return MergeLabels(
        ours=args.ours_label or _current_branch() or "ours",
        theirs=args.theirs_label or _merged_branch() or "theirs",
        base=args.base_label or "base",
        marker_size=args.marker_size,
    )


def _merged_branch() -> str | None:
    """The merged branch: what ``git merge`` was given, else the branch git knows at the commit.

    ``git merge NAME`` names the merged head in ``GITHEAD_<sha>`` (not rebase or cherry-pick);
    ``git pull`` merges a fetched commit, named only by its SHA there: then the remote-tracking
    branch at it (``origin/main``), else the branch ``FETCH_HEAD`` says it came from, else the
    short SHA.
    """
    names = [v for k, v in os.environ.items() if k.startswith("GITHEAD_") and v.strip()]
    if len(names) != 1:
        return None
    name = names[0].strip()
    if not _FULL_SHA.fullmatch(name):
        return _one_line(name)
    return (
        _branch_at(name)
        or _fetched_as(name)
        or _one_line(git_output(["rev-parse", "--short", name]) or name[:12])
    )


_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _branch_at(sha: str) -> str | None:
    """A remote-tracking (else local) branch pointing at ``sha``, as ``origin/main``."""
    refs = git_output(
        [
            "for-each-ref",
            f"--points-at={sha}",
            "--format=%(refname:short)",
            "refs/remotes",
            "refs/heads",
        ]
    )
    names = [ref for ref in (refs or "").splitlines() if ref and not ref.endswith("/HEAD")]
    return _one_line(names[0]) if names else None


def _fetched_as(sha: str) -> str | None:
    """``main of https://...``: what FETCH_HEAD says ``sha`` was fetched as."""
    path = git_output(["rev-parse", "--git-path", "FETCH_HEAD"])
    try:
        lines = (
            Path(path).read_text(encoding="utf-8", errors="replace").splitlines() if path else []
        )
    except OSError:
        return None
    for line in lines:
        fields = line.split("\t")
        if len(fields) == 3 and fields[0] == sha and fields[1] != "not-for-merge":
            found = re.fullmatch(r"(?:branch|tag) '(.+)' of (.+)", fields[2])
            return _one_line(f"{found[1]} of {found[2]}" if found else fields[2]) or None
    return None


def _current_branch() -> str | None:
    # During a rebase HEAD is detached (the upstream), so no name rather than a misleading one.
    name = git_output(["symbolic-ref", "--short", "-q", "HEAD"])
    return _one_line(name) if name else None


def _one_line(label: str) -> str:
    return " ".join(label.split())[:200]


def fall_back_to_line_merge(args: DriverArgs, reason: str) -> int:
    """git's own line merge of the raw files into %A; 1 on conflicts or when even that fails."""
    _say(f"{args.path}: {reason}")
    _say(f"{args.path}: falling back to git's line merge (git merge-file)")
    labels = [args.ours_label or "ours", args.base_label or "base", args.theirs_label or "theirs"]
    command = ["merge-file", f"--marker-size={args.marker_size}"]
    for label in labels:
        command += ["-L", label]
    try:
        done = try_git([*command, args.ours, args.base, args.theirs])
    except NbcollabError as exc:
        _say(f"{args.path}: git merge-file failed ({exc}); left unmerged")
        return EXIT_CONFLICT
    # merge-file exits with the number of conflicts, or a negative number (255) on error.
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()
        _say(f"{args.path}: line merge left conflicts" + (f" ({detail})" if detail else ""))
        return EXIT_CONFLICT
    return EXIT_CLEAN


def _say(message: str) -> None:
    try:  # messages name the path git passed, which may hold control characters
        print(f"nbcollab: {terminal_safe(message, one_line=True)}", file=sys.stderr)
    except (OSError, ValueError):
        pass  # stderr closed: the exit code still tells git what happened
