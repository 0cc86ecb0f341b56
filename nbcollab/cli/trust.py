"""``nbcollab trust check|sign``: what the user's Jupyter trusts, and signing one's own notebooks."""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nbcollab.cli.errors import echo
from nbcollab.cli.jobs import JobsOption, jobs_or_default
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK, NbcollabError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from nbformat.sign import NotebookNotary

trust_app = typer.Typer(
    name="trust",
    help="Check or sign notebooks with your Jupyter's own signature store.",
    no_args_is_help=True,
)

_PATHS = Annotated[list[Path], typer.Argument(help="Notebooks or folders of notebooks.")]


def register(app: typer.Typer) -> None:
    """Add the ``trust`` command group to ``app``."""
    app.add_typer(trust_app)


@trust_app.command("check")
def check(paths: _PATHS, jobs: JobsOption = None) -> None:
    """Say which notebooks your Jupyter trusts; exit 1 when one has untrusted output."""
    from nbcollab.trust.notary import open_notary, store_problem
    from nbcollab.workers import map_in_order

    notebooks = _notebooks(paths)
    jobs = jobs_or_default(jobs)
    codes = []
    with open_notary() as notary:
        problem = store_problem(notary)
        if problem:
            echo(f"nbcollab: warning: {problem}", err=True)
        checked: Iterable[tuple[_Said, int]]
        if jobs == 1 or len(notebooks) < 2:
            checked = (_check_one(notary, path) for path in notebooks)
        else:  # each worker opens the store itself: a database connection is not shared
            checked = map_in_order(_check_file, notebooks, jobs=jobs)
        for said, code in checked:
            for line, err in said:
                echo(line, err=err)
            codes.append(code)
    raise typer.Exit(max(codes, default=EXIT_OK))


@trust_app.command("sign")
def sign(paths: _PATHS) -> None:
    """Trust these notebooks' output in your Jupyter (like `jupyter trust`): only your own files."""
    from nbcollab.trust.notary import open_notary, require_persistent_store

    notebooks = _notebooks(paths)
    with open_notary() as notary:
        require_persistent_store(notary)
        codes = [_sign_one(notary, path) for path in notebooks]
    raise typer.Exit(max(codes, default=EXIT_OK))


_Said = list[tuple[str, bool]]  # lines to print, each with whether it goes to stderr


def _check_file(path: Path) -> tuple[_Said, int]:
    """``_check_one`` on a worker, with the worker's own notary."""
    return _check_one(_worker_notary(), path)


def _check_one(notary: NotebookNotary, path: Path) -> tuple[_Said, int]:
    """What to say about one notebook, and its exit code."""
    from nbcollab.trust.notary import check_notebook_text

    try:
        state = check_notebook_text(notary, _read_text(path), path=str(path))
    except NbcollabError as exc:
        return [(f"nbcollab: error: {exc}", True)], EXIT_ERROR
    if state.untrusted:
        cells = ", ".join(state.untrusted_cells)
        return [(f"{path}: not trusted: untrusted output in {cells}", False)], EXIT_CHANGED
    said = "trusted" if state.signed else "no rich output, nothing to trust"
    return [(f"{path}: {said}", False)], EXIT_OK


def _worker_notary() -> NotebookNotary:
    """A worker's own notary, open until the worker ends (it only reads through it)."""
    return _open_for_the_worker()[1]


@functools.cache
def _open_for_the_worker() -> tuple[contextlib.ExitStack, NotebookNotary]:
    from nbcollab.trust.notary import open_notary

    stack = contextlib.ExitStack()  # kept with the notary: dropping it would close the notary
    return stack, stack.enter_context(open_notary())


def _sign_one(notary: NotebookNotary, path: Path) -> int:
    from nbcollab.git.refill import record_signed
    from nbcollab.trust.notary import sign_notebook_text

    try:
        text = _read_text(path)
        signed = sign_notebook_text(notary, text, path=str(path))
    except NbcollabError as exc:
        echo(f"nbcollab: error: {exc}", err=True)
        return EXIT_ERROR
    echo(f"{path}: " + ("signed" if signed else "already signed"))
    # So that your outputs, restored after a pull, are signed again.
    record_signed(path, text.encode("utf-8"))
    return EXIT_OK


def _notebooks(paths: list[Path]) -> list[Path]:
    """The notebooks named, folders walked; a broken configuration is one error before any."""
    from nbcollab.cli.clean import expand_notebook_paths
    from nbcollab.config.folders import ConfigByFolder

    notebooks = expand_notebook_paths(paths)
    configs = ConfigByFolder()
    for path in notebooks:  # read as every command reads it: a broken one is the same error
        configs.config_for(path)
    return notebooks


def _read_text(path: Path) -> str:
    """A notebook's text as Jupyter decodes it; InvalidNotebook saying why it cannot be read."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.files import read_file_bytes

    try:
        return read_file_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidNotebook(f"{path}: not UTF-8 text, not a notebook") from None
