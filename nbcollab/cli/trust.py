"""``nbcollab trust check|sign``: what the user's Jupyter trusts, and signing one's own notebooks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nbcollab.cli.errors import echo
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK, NbcollabError

if TYPE_CHECKING:
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
def check(paths: _PATHS) -> None:
    """Say which notebooks your Jupyter trusts; exit 1 when one has untrusted output."""
    from nbcollab.trust.notary import open_notary, store_problem

    with open_notary() as notary:
        problem = store_problem(notary)
        if problem:
            echo(f"nbcollab: warning: {problem}", err=True)
        codes = [_check_one(notary, path, text) for path, text in _read_texts(paths)]
    raise typer.Exit(max(codes, default=EXIT_OK))


@trust_app.command("sign")
def sign(paths: _PATHS) -> None:
    """Trust these notebooks' output in your Jupyter (like `jupyter trust`): only your own files."""
    from nbcollab.trust.notary import open_notary, require_persistent_store

    with open_notary() as notary:
        require_persistent_store(notary)
        codes = [_sign_one(notary, path, text) for path, text in _read_texts(paths)]
    raise typer.Exit(max(codes, default=EXIT_OK))


def _check_one(notary: NotebookNotary, path: Path, text: str | None) -> int:
    from nbcollab.trust.notary import check_notebook_text

    if text is None:
        return EXIT_ERROR
    try:
        state = check_notebook_text(notary, text, path=str(path))
    except NbcollabError as exc:
        echo(f"nbcollab: error: {exc}", err=True)
        return EXIT_ERROR
    if state.untrusted:
        echo(f"{path}: not trusted: untrusted output in {', '.join(state.untrusted_cells)}")
        return EXIT_CHANGED
    echo(f"{path}: " + ("trusted" if state.signed else "no rich output, nothing to trust"))
    return EXIT_OK


def _sign_one(notary: NotebookNotary, path: Path, text: str | None) -> int:
    from nbcollab.trust.notary import sign_notebook_text

    if text is None:
        return EXIT_ERROR
    try:
        signed = sign_notebook_text(notary, text, path=str(path))
    except NbcollabError as exc:
        echo(f"nbcollab: error: {exc}", err=True)
        return EXIT_ERROR
    echo(f"{path}: " + ("signed" if signed else "already signed"))
    return EXIT_OK


def _read_texts(paths: list[Path]) -> list[tuple[Path, str | None]]:
    """Each notebook's text as Jupyter decodes it, or None after reporting why it cannot be read."""
    from nbcollab.cli.clean import expand_notebook_paths
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.errors import InvalidNotebook
    from nbcollab.files import read_file_bytes

    notebooks = expand_notebook_paths(paths)
    configs = ConfigByFolder()
    for path in notebooks:  # read as every command reads it: a broken one is the same error
        configs.config_for(path)
    texts: list[tuple[Path, str | None]] = []
    for path in notebooks:
        try:
            texts.append((path, read_file_bytes(path).decode("utf-8")))
        except InvalidNotebook as exc:
            echo(f"nbcollab: error: {exc}", err=True)
            texts.append((path, None))
        except UnicodeDecodeError:
            echo(f"nbcollab: error: {path}: not UTF-8 text, not a notebook", err=True)
            texts.append((path, None))
    return texts
