"""``nbcollab diff``, and git's entry points ``nbcollab textconv`` and ``nbcollab git-diff``."""

from __future__ import annotations

import dataclasses
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nbcollab.cli.cells import cell_option
from nbcollab.cli.jobs import JobsOption, jobs_or_default
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR
from nbcollab.options import DiffFormat

if TYPE_CHECKING:
    from collections.abc import Callable

    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.render.diffs import NotebookSides

_IGNORE = "Ignore options"


class ColorMode(str, Enum):
    """When the text output is coloured."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def register(app: typer.Typer) -> None:
    """Add ``diff``, ``textconv`` and ``git-diff`` to ``app``."""
    app.command("diff")(diff)
    app.command("textconv")(textconv)
    app.command("git-diff", context_settings={"ignore_unknown_options": True})(git_diff)


def _flag(name: str, what: str) -> Any:
    return typer.Option(
        f"--ignore-{name}", help=f"Leave {what} out of the comparison.", rich_help_panel=_IGNORE
    )


def diff(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            help="Two notebook files; or [REV [REV]] [PATH...] in a git repository, like git diff.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        DiffFormat,
        typer.Option("--format", "-f", help="text, json (nbdime's diff format) or html."),
    ] = DiffFormat.TEXT,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
    color: Annotated[
        ColorMode, typer.Option("--color", help="Colour the text output.")
    ] = ColorMode.AUTO,
    word_diff: Annotated[
        bool, typer.Option("--word-diff", help="Show changed words inline.")
    ] = False,
    context: Annotated[int, typer.Option("--unified", "-U", min=0, help="Context lines.")] = 3,
    cell: Annotated[
        str | None, cell_option("Only these cells of the new version (or of the old one)")
    ] = None,
    cached: Annotated[
        bool, typer.Option("--cached", "--staged", help="Compare the index, not the working tree.")
    ] = False,
    ignore_sources: Annotated[bool | None, _flag("sources", "cell sources")] = None,
    ignore_outputs: Annotated[bool | None, _flag("outputs", "outputs")] = None,
    ignore_metadata: Annotated[bool | None, _flag("metadata", "notebook and cell metadata")] = None,
    ignore_execution_counts: Annotated[
        bool | None, _flag("execution-counts", "execution counts")
    ] = None,
    ignore_ids: Annotated[
        bool | None, _flag("ids", "cell ids (cells are matched by content)")
    ] = None,
    ignore_attachments: Annotated[bool | None, _flag("attachments", "attachments")] = None,
    normalize_outputs: Annotated[
        bool | None,
        typer.Option(
            "--normalize-outputs",
            help="Compare outputs after normalizing them (addresses, timings, "
            "progress bars): only real changes remain.",
            rich_help_panel=_IGNORE,
        ),
    ] = None,
    jobs: JobsOption = None,
) -> None:
    """Show the cell-by-cell differences between notebooks (exit 1 when they differ)."""
    from nbcollab.config.folders import ConfigByFolder, SectionByFolder
    from nbcollab.render.diffs import render_diffs
    from nbcollab.render.text import TextStyle

    form = fmt
    configs = ConfigByFolder()
    # Each notebook is compared by its own folder's [tool.nbcollab.diff], as git's diff driver
    # compares it, with the command line's flags on top.
    options = SectionByFolder(
        configs,
        lambda config: config.diff,
        ignore_sources=ignore_sources,
        ignore_outputs=ignore_outputs,
        ignore_metadata=ignore_metadata,
        ignore_execution_counts=ignore_execution_counts,
        ignore_ids=ignore_ids,
        ignore_attachments=ignore_attachments,
        normalize_outputs=normalize_outputs,
    )
    found, keyed, base = _collect_pairs(
        args or [], cached=cached, configs=configs, published=form is DiffFormat.HTML
    )
    pairs = [dataclasses.replace(p, options=options(base / p.key)) for p in found]
    use_color = color is ColorMode.ALWAYS or (
        color is ColorMode.AUTO
        and output is None
        and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
    )
    style = TextStyle(color=use_color, word_diff=word_diff, context=context)
    if cell is not None and len(pairs) != 1:
        raise typer.BadParameter(
            f"--cell names cells of one notebook, and {len(pairs)} differ: name one notebook",
            param_hint="'--cell'",
        )
    text, different = render_diffs(
        pairs, fmt=form, style=style, keyed=keyed, cell=cell, jobs=jobs_or_default(jobs)
    )
    if output is None and form is DiffFormat.TEXT:
        from nbcollab.render.pager import write_paged

        write_paged(text)  # long text on a terminal goes through the pager, as git diff does
    else:
        _emit(text, output)
    unreadable = [p.unreadable for p in pairs if p.unreadable]
    if unreadable:
        from nbcollab.cli.errors import echo

        for why in unreadable:
            echo(f"nbcollab: error: {why}", err=True)
        raise typer.Exit(EXIT_ERROR)  # the others were compared; these were not
    if different:
        raise typer.Exit(EXIT_CHANGED)
    _say_if_same_file(args or [])


def _say_if_same_file(args: list[str]) -> None:
    """``diff a a`` prints nothing, like any diff without differences: say why."""
    from nbcollab.safe_text import quote_path

    if (
        len(args) == 2
        and Path(args[0]).is_file()
        and Path(args[0]).resolve() == Path(args[1]).resolve()
    ):
        typer.echo(
            f"nbcollab: {quote_path(args[0])} is compared with itself: no differences", err=True
        )


def _collect_pairs(
    args: list[str], *, cached: bool, configs: ConfigByFolder, published: bool = False
) -> tuple[list[NotebookSides], bool, Path]:
    """Two files, or notebooks from git; ``keyed`` when the JSON should map paths to diffs; the
    folder the pairs' keys are relative to (the current one, or the repository's top);
    ``published``: committed sides get their published outputs (the review page)."""
    from nbcollab.errors import ConfigError
    from nbcollab.files import is_null_device, read_side_bytes
    from nbcollab.render.diffs import NotebookSides, load_side
    from nbcollab.safe_text import quote_path

    _refuse_special_files(args)
    two_files = len(args) == 2 and not cached and not _has_separator()
    if two_files and all(Path(a).is_dir() for a in args):
        raise ConfigError(
            f"{quote_path(args[0])} and {quote_path(args[1])} are folders: diff "
            "compares two notebook files, or revisions and paths in a git repository"
        )
    # /dev/null is a notebook that does not exist (added or deleted), as git and nbdime say.
    if two_files and all(Path(a).is_file() or is_null_device(a) for a in args):
        old, new = (load_side(read_side_bytes(a), path=quote_path(a)) for a in args)
        pair = NotebookSides(quote_path(args[0]), quote_path(args[1]), old, new, args[1])
        return [pair], False, Path.cwd()
    absent = [a for a in args if a.endswith(".ipynb") and not Path(a).exists()]
    if len(args) == 2 and len(absent) == 1 and Path(args[0]).suffix == Path(args[1]).suffix:
        raise ConfigError(f"{quote_path(absent[0])}: no such file")
    pairs, root = _git_pairs(args, cached=cached, configs=configs, published=published)
    return pairs, True, root


def _refuse_special_files(args: list[str]) -> None:
    """A FIFO, device or socket on the command line is an error, not a revision or a pathspec
    (reading a FIFO would block; taking it for a revision says "not inside a git repository")."""
    import stat

    from nbcollab.errors import InvalidNotebook
    from nbcollab.files import is_null_device
    from nbcollab.safe_text import quote_path

    for arg in args:
        try:
            mode = os.stat(arg).st_mode
        except (OSError, ValueError):  # absent (a revision or a pathspec), or a NUL in the name
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or is_null_device(arg)):
            raise InvalidNotebook(f"{quote_path(arg)}: not a regular file")


def _has_separator() -> bool:
    """Whether the command line had ``--``: then ``A B`` are paths in the repository, as in git.

    The parser consumes ``--`` before the command sees its arguments, so look at argv itself.
    """
    argv = sys.argv[1:]
    return "diff" in argv and "--" in argv[argv.index("diff") + 1 :]


def _git_pairs(
    args: list[str], *, cached: bool, configs: ConfigByFolder, published: bool = False
) -> tuple[list[NotebookSides], Path]:
    from nbcollab.config.folders import OptionsByFolder
    from nbcollab.errors import ConfigError
    from nbcollab.git.revisions import filtered_paths, is_revision, notebook_pairs, open_repo
    from nbcollab.render.diffs import NotebookSides, load_side
    from nbcollab.safe_text import quote_path

    repo = open_repo(Path.cwd())
    revs: list[str] = []
    while args and len(revs) < 2 and not Path(args[0]).exists() and is_revision(repo, args[0]):
        revs.append(args.pop(0))
    missing = [a for a in args if not Path(a).exists() and "*" not in a]
    if missing and not revs and len(args) <= 2:
        raise ConfigError(f"{quote_path(missing[0])}: neither a file nor a git revision")
    old_rev = revs[0] if revs else None
    new_rev = revs[1] if len(revs) > 1 else None
    found = notebook_pairs(repo, old_rev, new_rev, args, cached=cached, cwd=Path.cwd())
    # The working tree is compared as the clean filter would store it, like git diff does: by
    # the rules of each notebook's own folder (its nearest pyproject.toml), as the filter reads them.
    dirty = filtered_paths(repo, [p.path for p in found]) if len(revs) < 2 and not cached else set()
    root = Path(repo.working_tree_dir)
    options = OptionsByFolder(configs=configs)

    def clean(path: str) -> Any:
        return options(str(root / path)) if path in dirty else None

    def sides(p: Any) -> NotebookSides:
        if p.unmerged:
            return _sides(p, clean)
        return NotebookSides(
            p.old_label,
            p.new_label,
            load_side(p.old, path=p.old_label),
            load_side(p.new, path=p.new_file or p.new_label, clean=clean(p.path)),
            p.path,
        )

    # One notebook that is not one (broken JSON committed, say) is said, not the end of the diff.
    pairs = [_or_unreadable(sides, p, [*(["--cached"] if cached else []), *revs]) for p in found]
    if published:
        from nbcollab.cli.errors import echo
        from nbcollab.git.outputs.view import with_published_outputs

        pairs, problems = with_published_outputs(
            root, found, pairs, new_committed=len(revs) == 2 or cached
        )
        for problem in problems:
            echo(f"nbcollab: warning: {problem}", err=True)
    return pairs, root


def _or_unreadable(
    sides: Callable[[Any], NotebookSides], pair: Any, git_args: list[str]
) -> NotebookSides:
    """``sides(pair)``; when a side is not a notebook, a pair that says so and how to see it."""
    import shlex

    from nbcollab.errors import InvalidNotebook
    from nbcollab.safe_text import terminal_safe

    try:
        return sides(pair)
    except InvalidNotebook as exc:
        command = "git diff --no-textconv " + shlex.join([*git_args, "--", pair.path])
        # Shown on the page as in the terminal: a control byte in the name is made visible.
        why = terminal_safe(f"{exc}: not compared; see it as text with: {command}", one_line=True)
        return _only_a_note(pair, f"* {why}", unreadable=why)


def _only_a_note(pair: Any, note: str, *, unmerged: bool = False, unreadable: str = "") -> Any:
    """A pair of which only ``note`` is shown: no notebook on either side."""
    from nbcollab.render.diffs import NotebookSides

    return NotebookSides(
        pair.old_label,
        pair.new_label,
        None,
        None,
        pair.path,
        note=note,
        unmerged=unmerged,
        unreadable=unreadable,
    )


def _sides(pair: Any, clean: Any) -> Any:
    """An unmerged notebook against the working tree; when git's line merge left its conflict
    markers there (no notebook), against theirs instead; against the index, only a note."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.render.diffs import NotebookSides, load_side
    from nbcollab.safe_text import quote_path

    path = quote_path(pair.path)
    if pair.old is None and pair.new is None and pair.theirs is None:
        return _only_a_note(pair, f"* Unmerged path {path}", unmerged=True)
    ours = load_side(pair.old, path=pair.old_label)
    try:
        new = load_side(pair.new, path=pair.new_file or pair.new_label, clean=clean(pair.path))
    except InvalidNotebook as exc:
        label = f"{quote_path(f'b/{pair.path}')} (theirs)"
        note = (
            f"* Unmerged path {path}: the working tree is not a notebook ({exc}); "
            "showing the other side of the merge (theirs)"
        )
        return NotebookSides(
            pair.old_label,
            label,
            ours,
            load_side(pair.theirs, path=label),
            pair.path,
            note=note,
            unmerged=True,
        )
    return NotebookSides(
        pair.old_label,
        pair.new_label,
        ours,
        new,
        pair.path,
        note=f"* Unmerged path {path}",
        unmerged=True,
    )


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        _write_stdout(text)
        return
    from nbcollab.files import write_atomic

    write_atomic(output, text.encode("utf-8", "replace"))


def _write_stdout(text: str) -> None:
    # As UTF-8 whatever the locale says, and never failing on a lone surrogate from a notebook.
    sys.stdout.buffer.write(text.encode("utf-8", "replace"))
    sys.stdout.flush()


def textconv(
    path: Annotated[Path, typer.Argument(help="The notebook file git hands over.")],
    format_version: Annotated[
        int,
        typer.Option(
            "--format-version", help="Set by `nbcollab install`; part of git's cache key."
        ),
    ] = 0,
) -> None:
    """Print a notebook as readable text, for git's textconv (never fails)."""
    from nbcollab.git.entry import run_textconv

    raise typer.Exit(run_textconv([str(path)]))


def git_diff(
    args: Annotated[
        list[str] | None, typer.Argument(help="What git passes to GIT_EXTERNAL_DIFF.")
    ] = None,
) -> None:
    """git's external diff driver: print a notebook diff; always exit 0 (git aborts otherwise)."""
    from nbcollab.git.entry import run_git_diff

    raise typer.Exit(run_git_diff(args or []))
