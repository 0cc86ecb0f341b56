"""``nbcollab merge``, ``git-merge``, ``conflicts`` and ``resolve``: thin commands over the library."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nbcollab.cli.cells import cell_option
from nbcollab.cli.errors import echo
from nbcollab.errors import EXIT_CHANGED, EXIT_OK
from nbcollab.options import OutputStrategy

if TYPE_CHECKING:
    from nbcollab.git.conflicted import FileDeletion
    from nbcollab.merge.resolve import Resolution, ResolveOutcome


def register(app: typer.Typer) -> None:
    """Add the merge commands to ``app``."""
    app.command("merge")(merge)
    app.command(
        "git-merge",
        context_settings={"ignore_unknown_options": True},
        help="Git merge driver: nbcollab git-merge %O %A %B %L %P [%S %X %Y].",
    )(git_merge)
    app.command("conflicts")(conflicts)
    app.command("resolve")(resolve)


def merge(
    base: Annotated[
        Path,
        typer.Argument(help="Common ancestor (an empty file or /dev/null: none, add/add)."),
    ],
    local: Annotated[Path, typer.Argument(help="Our version.")],
    remote: Annotated[Path, typer.Argument(help="Their version.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Where to write (default: stdout).")
    ] = None,
    outputs: Annotated[
        OutputStrategy | None,
        typer.Option("--outputs", help="How outputs both sides changed are resolved."),
    ] = None,
    sign: Annotated[
        bool | None, typer.Option("--sign/--no-sign", help="Re-sign a trusted result.")
    ] = None,
    ours_label: Annotated[
        str | None, typer.Option("--ours-label", help="Marker label of LOCAL.")
    ] = None,
    theirs_label: Annotated[
        str | None, typer.Option("--theirs-label", help="Marker label of REMOTE.")
    ] = None,
    marker_size: Annotated[
        int,
        typer.Option(
            "--marker-size", min=1, max=1000, help="Length of the conflict markers (<<<<<<<)."
        ),
    ] = 7,
) -> None:
    """Three-way merge of notebooks; exit 1 when conflicts remain (marked in the output)."""
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.config.load import merge_overrides
    from nbcollab.merge.notebook import merge_notebooks
    from nbcollab.merge.values import MergeLabels
    from nbcollab.notebook.codec import parse_notebook, serialize_notebook
    from nbcollab.trust.notary import sign_merge_result

    # The options of the folder the result belongs in: ours, as git's merge driver reads them.
    config = ConfigByFolder().config_for(local)
    options = merge_overrides(config.merge, outputs=outputs, sign=sign)
    raw = [_merge_side(p, what) for p, what in ((base, ""), (local, "LOCAL"), (remote, "REMOTE"))]
    base_nb = parse_notebook(raw[0], path=str(base)) if raw[0].strip() else None
    local_nb = parse_notebook(raw[1], path=str(local))
    remote_nb = parse_notebook(raw[2], path=str(remote))
    labels = MergeLabels(
        ours=ours_label or str(local),
        theirs=theirs_label or str(remote),
        base=str(base),
        marker_size=marker_size,
    )
    result = merge_notebooks(base_nb, local_nb, remote_nb, options=options, labels=labels)
    text = serialize_notebook(result.notebook)
    notes = result.summary()
    if options.sign and output is not None:
        outcome = sign_merge_result(
            text,
            inputs=raw,
            path=str(output),
            parsed=(base_nb, local_nb, remote_nb),
            result=result.notebook,
        )
        notes.append(outcome.reason)
    _write_output(output, text)
    for line in notes:
        echo(f"nbcollab: {line}", err=True)
    raise typer.Exit(EXIT_OK if result.clean else EXIT_CHANGED)


def _merge_side(path: Path, what: str) -> bytes:
    """One version's bytes; /dev/null is a notebook that does not exist, as only BASE can be."""
    from nbcollab.errors import ConfigError
    from nbcollab.files import read_side_bytes

    data = read_side_bytes(path)
    if data is not None:
        return data
    if what:
        raise ConfigError(
            f"{_shown(path)}: {what} is absent (the null device): only BASE can be; a "
            "notebook deleted on one side is kept or deleted whole, not merged cell by cell"
        )
    return b""


def _write_output(output: Path | None, text: str) -> None:
    from nbcollab.files import write_atomic

    data = text.encode("utf-8", "surrogatepass")
    if output is None or str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomic(output, data)


def git_merge(
    args: Annotated[list[str], typer.Argument(help="%O %A %B %L %P [%S %X %Y]")],
) -> None:
    """Git merge driver (installed by `nbcollab install`)."""
    from nbcollab.git.merge_driver import run_git_merge

    raise typer.Exit(run_git_merge(args))


def _default_notebooks(paths: list[Path] | None) -> tuple[list[Path], int]:
    """The paths given, else the repository's notebooks unmerged or holding a record (said);
    and how many of those were left alone because they lead out of the repository."""
    from nbcollab.cli.clean import expand_notebook_paths
    from nbcollab.git.conflicted import conflicted_notebooks

    if paths:
        return expand_notebook_paths(paths), 0
    found = conflicted_notebooks(Path.cwd())
    if not found:
        echo(
            "nbcollab: no notebook of this repository is unmerged or holds a conflict record",
            err=True,
        )
    inside = _inside_the_repository(found)
    return inside, len(found) - len(inside)


def _inside_the_repository(found: list[Path]) -> list[Path]:
    """The notebooks git listed that are no symbolic link out of the repository; the others are
    never read or written (a branch can turn a notebook into a link to any file)."""
    from nbcollab.files import is_inside
    from nbcollab.mergetool.sources import repository_root

    root = repository_root(Path.cwd()) if found else None
    if root is None:
        return found
    inside = [path for path in found if is_inside(path, root)]
    for path in (path for path in found if path not in inside):
        typer.echo(
            f"nbcollab: {_shown(path)}: a symbolic link to a file outside the repository "
            f"({_shown(Path(os.path.realpath(path)))}): left as it is; decide with git (git "
            f"status shows where it put the other side), then git add or git rm {_shown(path)}",
            err=True,
        )
    return inside


def conflicts(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Notebooks or folders to check (default: the repository's notebooks that are "
            "unmerged or hold a conflict record)."
        ),
    ] = None,
) -> None:
    """List unresolved merge conflicts; exit 1 while any remain, 2 if a file cannot be read."""
    from nbcollab.cli.conflicts_run import run_conflicts

    notebooks, total = _default_notebooks(paths)
    raise typer.Exit(run_conflicts(notebooks, total))


def resolve(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Notebooks with merge conflicts (default: the repository's notebooks that are "
            "unmerged or hold a conflict record)."
        ),
    ] = None,
    cell: Annotated[str | None, cell_option("Only the conflicts of this one cell")] = None,
    ours: Annotated[bool, typer.Option("--ours", help="Take our side.")] = False,
    theirs: Annotated[bool, typer.Option("--theirs", help="Take their side.")] = False,
    union: Annotated[bool, typer.Option("--union", help="Keep both, ours first.")] = False,
    union_theirs_first: Annotated[
        bool, typer.Option("--union-theirs-first", help="Keep both, theirs first.")
    ] = False,
    base: Annotated[bool, typer.Option("--base", help="Go back to the common ancestor.")] = False,
) -> None:
    """Resolve merge conflicts to one side and clear their record (exit 1 while any remain).

    Without a side, only clear the record of conflicts already resolved by hand. A notebook
    deleted on one side and modified on the other is kept or deleted, and staged.
    """
    from nbcollab.merge.resolve import Resolution

    flags = {
        Resolution.OURS: ours,
        Resolution.THEIRS: theirs,
        Resolution.UNION: union,
        Resolution.UNION_THEIRS_FIRST: union_theirs_first,
        Resolution.BASE: base,
    }
    chosen = [resolution for resolution, flag in flags.items() if flag]
    if len(chosen) > 1:
        raise typer.BadParameter(f"give at most one of {_SIDE_FLAGS}")
    choice = chosen[0] if chosen else None
    notebooks, left = _default_notebooks(paths)
    if cell is not None and len(notebooks) != 1:
        raise typer.BadParameter("--cell names a cell of one notebook: give exactly one")
    from nbcollab.cli.conflicts_run import read_configs, say_stage_it, unmerged_in_git

    read_configs(notebooks)
    unmerged = unmerged_in_git(notebooks)
    deletions = {p: u.deletion for p, u in unmerged.items() if u.deletion is not None}
    if cell is not None and deletions:
        raise typer.BadParameter(
            f"{_shown(notebooks[0])} was deleted on one side and modified on the other: it is "
            "kept or deleted whole; leave out --cell"
        )
    for path in notebooks:
        if path in deletions:
            left += _resolve_deletion(path, deletions[path], choice)
            continue
        remaining = _resolve_one(path, choice, cell)
        if not remaining and path in unmerged:
            say_stage_it(path)
        left += remaining
    if left and not chosen:
        echo(f"nbcollab: give {_SIDE_FLAGS} to resolve them", err=True)
    raise typer.Exit(EXIT_CHANGED if left else EXIT_OK)


_SIDE_FLAGS = "--ours, --theirs, --union, --union-theirs-first or --base"


def _resolve_deletion(path: Path, deletion: FileDeletion, choice: Resolution | None) -> int:
    """Keep or delete a notebook deleted on one side, and stage that; 1 when left as it is."""
    from nbcollab.errors import NbcollabError
    from nbcollab.files import write_atomic

    if choice is None:
        from nbcollab.cli.conflicts_run import deletion_finding

        echo(deletion_finding(path, deletion))
        return 1
    if choice.value == deletion.deleted_by:
        deletion.stage_deleted()
        echo(f"{_shown(path)}: deleted, as {choice.value} did (staged: git rm)", err=True)
        return 0
    keeper = "theirs" if deletion.deleted_by == "ours" else "ours"
    stage = 1 if choice.value == "base" else 2 if keeper == "ours" else 3
    if stage == 1 or not (path.exists() or path.is_symlink()):
        if path.is_symlink():
            raise NbcollabError(f"{_shown(path)}: a symbolic link; resolve it by hand")
        if stage not in deletion.stages:
            echo(f"{_shown(path)}: not resolved: git holds no base version", err=True)
            return 1
        write_atomic(path, deletion.blob(stage))
    deletion.stage_kept()
    version = "the base" if stage == 1 else keeper
    echo(f"{_shown(path)}: kept ({version} version; staged: git add)", err=True)
    return 0


def _resolve_one(path: Path, choice: Resolution | None, cell: str | None) -> int:
    """Resolve one notebook; how many conflicts are left in it (listed on stdout)."""
    from nbcollab.files import read_notebook_file, write_atomic
    from nbcollab.merge.conflicts import find_conflicts, read_record
    from nbcollab.merge.resolve import resolve_conflicts
    from nbcollab.notebook.codec import serialize_notebook

    data, nb = read_notebook_file(path)
    read_record(nb, source=str(path))  # a malformed record: InvalidNotebook naming the entry
    index = None if cell is None else _selected_cell(path, nb, cell)
    outcome = resolve_conflicts(nb, choice, cell=index)
    text = serialize_notebook(outcome.notebook).encode("utf-8", "surrogatepass")
    left = find_conflicts(outcome.notebook)
    changed = text != data and (outcome.resolved or outcome.cleared or outcome.notebook != nb)
    filled = None
    if changed and not left:
        from nbcollab.git.refill import refilled

        # Resolved whole: the outputs the output cache holds for its cells come back, as a
        # checkout of it would give them.
        filled = refilled(path, text)
        text = filled or text
    if changed:
        write_atomic(path, text)
    _report_resolve(path, choice, outcome)
    if changed and not left and filled is not None:
        echo(f"{_shown(path)}: outputs restored from the output cache", err=True)
    for finding in left:
        echo(f"{_shown(path)}: {finding.message}")
    return len(left)


def _selected_cell(path: Path, nb: dict[str, object], wanted: str) -> int:
    """The index of the one cell ``--cell`` selects (named on stderr); NoSuchCell if not one."""
    from nbcollab.notebook.cells import cell_name, parse_selector
    from nbcollab.notebook.lines import iter_cells
    from nbcollab.safe_text import terminal_safe

    cells = iter_cells(nb)
    index = parse_selector(wanted).select_one(cells, name=_shown(path))
    echo(
        f"{_shown(path)}: --cell {terminal_safe(wanted, one_line=True)} is {cell_name(index, cells[index])}",
        err=True,
    )
    return index


def _report_resolve(path: Path, choice: Resolution | None, outcome: ResolveOutcome) -> None:
    if choice is not None:
        one_value = (
            f"; {outcome.one_value} of them hold one value only, and got {choice.first_side}"
            if outcome.one_value
            else ""
        )
        echo(
            f"{_shown(path)}: resolved {outcome.resolved} conflict(s) to {choice.value}{one_value}",
            err=True,
        )
    if outcome.cleared:
        echo(
            f"{_shown(path)}: cleared {outcome.cleared} conflict(s) resolved by hand from the "
            "record",
            err=True,
        )
    for message in outcome.failed:
        echo(f"{_shown(path)}: not resolved: {message}", err=True)


def _shown(path: Path) -> str:
    """A path as printed: terminal-safe (a name from the repository may hold control bytes)."""
    from nbcollab.safe_text import safe_path

    return safe_path(path)
