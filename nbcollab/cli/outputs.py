"""``nbcollab outputs push|fetch|restore|prune|status``: outputs shared through git, beside the
branches (see docs/outputs.md)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nbcollab.cli.cache import human_size
from nbcollab.cli.errors import echo

if TYPE_CHECKING:
    from nbcollab.output_cache.store import OutputStore

outputs_app = typer.Typer(
    name="outputs",
    help="Share notebook outputs through git, outside the branches: push, fetch, restore, prune.",
    no_args_is_help=True,
)

_REMOTE = typer.Argument(
    help="The remote (default: the current branch's, else origin).", show_default=False
)
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def register(app: typer.Typer) -> None:
    """Add ``nbcollab outputs`` to ``app``."""
    app.add_typer(outputs_app, name="outputs")


def _root() -> Path:
    from nbcollab.git.outputs.refs import repository_root

    return repository_root(Path.cwd())


def _remote(root: Path, remote: str | None) -> str:
    from nbcollab.errors import NbcollabError
    from nbcollab.git.outputs.refs import default_remote, remote_names
    from nbcollab.published.layout import tracking_ref

    name = remote or default_remote(root)
    tracking_ref(name)  # refuses a URL
    if name not in remote_names(root):
        raise NbcollabError(f"{name}: not a remote (`git remote` lists them)")
    return name


@outputs_app.command("push")
def push(
    remote: Annotated[str | None, _REMOTE] = None,
    depth: Annotated[
        int,
        typer.Option(
            "--depth",
            min=0,
            help="Also the last N commits of HEAD, pushed already (versions published are skipped).",
        ),
    ] = 20,
    hook: Annotated[
        str | None,
        typer.Option(
            "--hook",
            help="Run as git's pre-push hook for this remote, reading what git pushes from its "
            "input (never fails the push).",
            hidden=True,
            metavar="REMOTE",
        ),
    ] = None,
) -> None:
    """Publish the outputs of the notebooks of HEAD and of its commits not yet on REMOTE (or
    pushed in the last --depth commits): what the output cache recorded when you added them."""
    if hook is not None:
        raise typer.Exit(_push_as_hook(hook))
    root = _root()
    _push(root, _remote(root, remote), tips=("HEAD",), exclude=(), depth=depth)


def _push(
    root: Path, remote: str, *, tips: tuple[str, ...], exclude: tuple[str, ...], depth: int = 0
) -> None:
    from nbcollab.config.folders import OptionsByFolder
    from nbcollab.git.outputs.publish import publish

    report = publish(
        root,
        remote,
        store=_store(root),
        options_for=OptionsByFolder(root),
        tips=tips,
        exclude=exclude,
        depth=depth,
    )
    for note in report.notes:
        echo(f"nbcollab: note: {note}", err=True)
    for line in report.published:
        echo(f"published {line}")
    if report.commit is None:
        echo(f"no new outputs to publish to {remote}")
    else:
        count = len(report.published)
        echo(f"{remote}: {count} notebook version{'s' * (count != 1)} published")


def _push_as_hook(remote: str) -> int:
    """The pre-push hook: publish what the push sends; a problem is a warning, never a failure."""
    from nbcollab.cli.errors import exit_codes
    from nbcollab.git.outputs.publish import hook_updates

    try:
        with exit_codes(prefix="nbcollab outputs push"):
            root = _root()
            names = _remote_names(root)
            if remote not in names:
                echo(
                    "nbcollab: outputs not published: push to a named remote to publish them",
                    err=True,
                )
                return 0
            tips, exclude = hook_updates(sys.stdin.read().splitlines())
            if tips:
                _push(root, remote, tips=tuple(tips), exclude=tuple(exclude))
    except SystemExit:
        echo("nbcollab: outputs not published; the push goes on", err=True)
    return 0


def _remote_names(root: Path) -> list[str]:
    from nbcollab.git.outputs.refs import remote_names

    return remote_names(root)


def _store(root: Path) -> OutputStore | None:
    from nbcollab.errors import NbcollabError
    from nbcollab.output_cache.session import find_store

    try:
        return find_store(root)
    except (OSError, NbcollabError):
        return None


@outputs_app.command("fetch")
def fetch(remote: Annotated[str | None, _REMOTE] = None) -> None:
    """Fetch the outputs published on REMOTE (then `nbcollab outputs restore` fills notebooks)."""
    from nbcollab.git.outputs.refs import fetch as fetch_ref
    from nbcollab.git.outputs.report import check_ref, head_coverage
    from nbcollab.published.layout import tracking_ref

    root = _root()
    name = _remote(root, remote)
    commit = fetch_ref(name, root)
    if commit is None:
        echo(f"{name} has no published outputs (`nbcollab outputs push` publishes them)")
        return
    check_ref(root, tracking_ref(name), commit)  # a damaged one: how to replace it
    coverage = head_coverage(root)
    echo(
        f"fetched the outputs published on {name}: {len(coverage.with_outputs)} of "
        f"{len(coverage.with_outputs) + len(coverage.without)} notebooks of HEAD have some"
    )
    if coverage.with_outputs:
        echo("`nbcollab outputs restore` fills them in (git checkouts do it by themselves)")


@outputs_app.command("restore")
def restore(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Notebooks or pathspecs (default: every notebook).", show_default=False
        ),
    ] = None,
) -> None:
    """Fill notebooks that have no outputs (as a fresh clone leaves them) with published ones."""
    from nbcollab.git.outputs.restore import restore_files

    report = restore_files(_root(), paths or [], Path.cwd())
    for line in report.restored:
        echo(f"restored {line}")
    for line in report.skipped:
        echo(f"nbcollab: note: {line}", err=True)
    if not report.restored:
        echo("no notebook restored")


def parse_size(text: str) -> int:
    """``500M``, ``1.5G``, ``2048``: a number of bytes (binary units)."""
    match = _SIZE.match(text)
    if match is None:
        raise typer.BadParameter(f"{text!r}: a size such as 500M, 2G or 1048576")
    power = " KMGT".index(match[2].upper() or " ")
    return int(float(match[1]) * (1024**power))


@outputs_app.command("prune")
def prune(
    remote: Annotated[
        str | None,
        typer.Argument(help="Prune this remote's published outputs too.", show_default=False),
    ] = None,
    keep: Annotated[
        int,
        typer.Option(
            "--keep", min=1, help="Keep the outputs of the last N commits of each branch."
        ),
    ] = 10,
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size",
            help="Then keep at most this much (e.g. 500M), newest first.",
            metavar="SIZE",
        ),
    ] = None,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Delete an outputs ref that is not published outputs (damaged), REMOTE's too, "
            "instead of refusing it; the next push starts it again.",
        ),
    ] = False,
) -> None:
    """Drop old published outputs: only the outputs refs are rewritten (then `git gc`)."""
    from nbcollab.git.outputs.prune import prune as prune_refs

    cap = parse_size(max_size) if max_size is not None else None
    root = _root()
    name = _remote(root, remote) if remote is not None else None
    report = prune_refs(root, keep=keep, max_size=cap, remote=name, reset=reset)
    for deleted in report.deleted:
        echo(f"{deleted}: deleted, it was not nbcollab's published outputs")
    for ref in report.refs:
        echo(
            f"{ref.ref}: kept {ref.records_after} of {ref.records_before} notebook versions, "
            f"{human_size(ref.bytes_after)} of {human_size(ref.bytes_before)} of outputs"
        )
    if not report.refs and not report.deleted:
        echo("no published outputs here")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


@outputs_app.command("status")
def status() -> None:
    """What each outputs ref holds, and which notebooks of HEAD have published outputs."""
    from datetime import datetime, timezone

    from nbcollab.git.outputs.report import head_coverage, summarize
    from nbcollab.safe_text import quote_path

    root = _root()
    summaries = summarize(root)
    for s in summaries:
        if s.problem:
            echo(f"{s.ref} ({s.commit[:10]}): damaged: {s.problem}")
            continue
        day = datetime.fromtimestamp(s.newest, tz=timezone.utc).strftime("%Y-%m-%d")
        echo(
            f"{s.ref} ({s.commit[:10]}): {_count(s.versions, 'version')} of "
            f"{_count(s.notebooks, 'notebook')}, {_count(s.outputs, 'output')}, "
            f"{human_size(s.bytes)}; newest {day}"
        )
    if not summaries:
        echo("no published outputs here (`nbcollab outputs fetch` gets a remote's)")
        return
    coverage = head_coverage(root)
    total = len(coverage.with_outputs) + len(coverage.without)
    have = "has" if len(coverage.with_outputs) == 1 else "have"
    echo(
        f"HEAD: {len(coverage.with_outputs)} of {_count(total, 'notebook')} {have} "
        "published outputs"
    )
    for path in coverage.without:
        echo(f"  without: {quote_path(path)}")
