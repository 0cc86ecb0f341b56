"""``nbcollab install|uninstall|status`` and the clean filter's git entry points."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nbcollab.cli.errors import echo
from nbcollab.errors import EXIT_CHANGED, EXIT_OK

if TYPE_CHECKING:
    from nbcollab.git.config import Repository, Scope

_GLOBAL = typer.Option(
    "--global", help="The user's git config and attributes file instead of this repository's."
)


class AttributesPlace(str, enum.Enum):
    """Where the local attributes line goes."""

    GITATTRIBUTES = "gitattributes"
    INFO = "info"


def register(app: typer.Typer) -> None:
    """Add the git set-up commands and the filter entry points to ``app``."""
    app.command("install")(install)
    app.command("uninstall")(uninstall)
    app.command("status")(status)
    app.command("filter-process")(filter_process)
    app.command("filter-clean")(filter_clean)


def _scope_and_repo(global_: bool) -> tuple[Scope, Repository | None]:
    from nbcollab.git.config import find_repository

    if global_:
        return "global", None
    return "local", find_repository(Path.cwd())


def install(
    global_: Annotated[bool, _GLOBAL] = False,
    attributes: Annotated[
        AttributesPlace,
        typer.Option(
            "--attributes",
            help="Write the attributes line to .gitattributes (shared with everyone who clones) "
            "or to .git/info/attributes (this clone only).",
        ),
    ] = AttributesPlace.GITATTRIBUTES,
    no_filter: Annotated[bool, typer.Option("--no-filter", help="No clean filter.")] = False,
    no_diff: Annotated[bool, typer.Option("--no-diff", help="No diff driver.")] = False,
    no_merge: Annotated[bool, typer.Option("--no-merge", help="No merge driver.")] = False,
    external_diff: Annotated[
        bool, typer.Option("--external-diff", help="Also make `git diff` use `nbcollab git-diff`.")
    ] = False,
    no_output_cache: Annotated[
        bool,
        typer.Option(
            "--no-output-cache",
            help="Do not keep stripped outputs in the git "
            "directory to restore them on checkout (see docs/output-cache.md).",
        ),
    ] = False,
    share_outputs: Annotated[
        bool,
        typer.Option(
            "--share-outputs",
            help="Also fetch published outputs with `git fetch` and publish them on `git push` "
            "(a fetch refspec and a pre-push hook, never over a hook of your own; see "
            "docs/outputs.md).",
        ),
    ] = False,
    hooks: Annotated[
        bool | None,
        typer.Option(
            "--hooks/--no-hooks",
            help="Also write the pre-commit hook, which refuses a commit of notebooks that are "
            "not clean or still hold merge conflicts (never over a hook of your own); "
            "--no-hooks removes it. Not given: a hook nbcollab wrote is kept up to date.",
        ),
    ] = None,
    command: Annotated[
        str | None,
        typer.Option(
            "--command",
            help="The command git runs (default: this Python, by absolute path, -m nbcollab; "
            "the filter then runs through a launcher that keeps checkouts working should that "
            "Python go away).",
        ),
    ] = None,
) -> None:
    """Make git clean, diff and merge *.ipynb files with nbcollab."""
    from nbcollab.git import install as installer
    from nbcollab.git.launcher import launcher_path

    scope, repo = _scope_and_repo(global_)
    if hooks and repo is None:
        raise typer.BadParameter("hooks belong to a repository: run it there without --global")
    if (hooks or share_outputs) and repo is not None:
        from nbcollab.git.hook_files import check_hooks_dir

        check_hooks_dir(repo.root, repo.common_dir)  # before anything is written
    parts = tuple(
        name
        for name, off in (("filter", no_filter), ("diff", no_diff), ("merge", no_merge))
        if not off
    )
    if not parts:
        raise typer.BadParameter("--no-filter, --no-diff and --no-merge leave nothing to install")
    if share_outputs and global_:
        raise typer.BadParameter("--share-outputs is set up in each repository, not with --global")
    ctx = installer.make_context(
        command, external_diff=external_diff, launcher=launcher_path(scope, repo)
    )
    done = installer.install(
        scope,
        repo,
        ctx,
        attributes=parts,
        place=attributes.value,
        output_cache=not no_output_cache,
        share_outputs=share_outputs,
    )
    if repo is not None:
        done += _set_hooks(repo.root, hooks)
    _print_done(done, f"nbcollab is already installed ({scope})")
    note = installer.untracked_attributes(repo) if repo is not None else None
    if note is not None:
        echo(f"note: {note}")


def _set_hooks(root: Path, wanted: bool | None) -> list[str]:
    from nbcollab.git import hook_files

    if wanted is None:
        return hook_files.refresh_hooks(root)
    return hook_files.install_hooks(root) if wanted else hook_files.remove_hooks(root)


def uninstall(
    global_: Annotated[bool, _GLOBAL] = False,
    remove_output_cache: Annotated[
        bool | None,
        typer.Option(
            "--remove-output-cache/--keep-output-cache",
            help="Also delete this repository's output cache (asked when not given).",
        ),
    ] = None,
) -> None:
    """Remove exactly what `nbcollab install` wrote (in this repository, or with --global)."""
    from nbcollab.git import install as installer

    scope, repo = _scope_and_repo(global_)
    done = installer.uninstall(scope, repo, installer.make_context())
    if repo is not None:
        done += _set_hooks(repo.root, False)
        done += _offer_cache_removal(repo.common_dir, remove_output_cache)
    _print_done(done, f"nothing of nbcollab's to remove ({scope})")


def _offer_cache_removal(common_dir: Path, remove: bool | None) -> list[str]:
    """Delete the output cache when asked to, or when the user says so at a terminal."""
    import sys

    from nbcollab.output_cache.store import OutputStore, cache_root

    store = OutputStore(cache_root(common_dir))
    if not store.root.exists():
        return []
    if remove is None and sys.stdin.isatty():
        remove = typer.confirm(f"Remove the output cache {store.root}?", default=False)
    if remove:
        store.clear()
        return [f"removed the output cache {store.root}"]
    return [f"kept the output cache {store.root} (`nbcollab cache clear` removes it)"]


def _print_done(done: list[str], nothing: str) -> None:
    for line in done:
        echo(line)
    if not done:
        echo(nothing)


def status() -> None:
    """Show what is installed for *.ipynb (this repository and global) and what is broken."""
    from nbcollab.errors import NotARepository
    from nbcollab.git import install as installer
    from nbcollab.git.config import find_repository
    from nbcollab.git.status import collect_status
    from nbcollab.safe_text import terminal_safe

    try:
        repo = find_repository(Path.cwd())
    except NotARepository:
        repo = None
        typer.echo("not in a git repository: showing the global set-up only")
    report = collect_status(repo, installer.make_context())
    # Paths and configured commands come from the repository and its config: shown, not obeyed.
    for line in report.lines:
        typer.echo(terminal_safe(line))
    for problem in report.problems:
        typer.echo(terminal_safe(f"problem: {problem}"))
    # The configuration here is read as every command reads it: a broken one is an error (exit 2)
    # that status names, since the filter and drivers fall back to the defaults without it.
    from nbcollab.config.folders import ConfigByFolder

    ConfigByFolder().config_in(Path.cwd())
    raise typer.Exit(EXIT_CHANGED if report.problems else EXIT_OK)


def filter_process() -> None:
    """git's long-running clean filter (git runs it; see `nbcollab install`)."""
    from nbcollab.git.entry import run_filter_process

    raise typer.Exit(run_filter_process([]))


def filter_clean(
    path: Annotated[str, typer.Argument(help="The file's path (git's %f).")] = "<stdin>",
) -> None:
    """One-file clean filter, stdin to stdout (for git < 2.11 and clients without the process)."""
    from nbcollab.git.entry import run_filter_clean

    raise typer.Exit(run_filter_clean([path]))
