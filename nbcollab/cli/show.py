"""``nbcollab show``: a notebook as readable text in the terminal, paged like git."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from nbcollab.cli.cells import cell_option
from nbcollab.cli.diff import ColorMode


def register(app: typer.Typer) -> None:
    """Add ``show`` to ``app``."""
    app.command("show")(show)


def show(
    notebook: Annotated[
        Path,
        typer.Argument(
            help="The notebook file ('-' reads standard input), or REV:PATH in a repository.",
            metavar="NOTEBOOK",
        ),
    ],
    outputs: Annotated[
        bool, typer.Option("--outputs/--no-outputs", help="Show the cells' outputs.")
    ] = True,
    cell: Annotated[str | None, cell_option("Show only these cells")] = None,
    color: Annotated[
        ColorMode, typer.Option("--color", help="Colour headers and sources.")
    ] = ColorMode.AUTO,
    pager: Annotated[
        bool,
        typer.Option(
            "--pager/--no-pager", help="Page long output through $GIT_PAGER, $PAGER or less."
        ),
    ] = True,
    published: Annotated[
        bool,
        typer.Option(
            "--published/--no-published",
            help="Fill cells without outputs with the outputs published for this version.",
        ),
    ] = True,
) -> None:
    """Print a notebook as text: cell headers, sources with syntax colour, outputs.

    Examples: nbcollab show analysis.ipynb; nbcollab show analysis.ipynb --no-outputs;
    nbcollab show analysis.ipynb --cell 3; nbcollab show HEAD~1:analysis.ipynb
    """
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.notebook.codec import parse_notebook
    from nbcollab.render.pager import write_paged
    from nbcollab.render.show import ShowOptions, show_notebook

    name = str(notebook)
    # Read as every command reads it, though nothing in it changes what show prints: a broken
    # pyproject.toml is the same error everywhere, not a surprise at the next git add.
    ConfigByFolder().config_for("-" if name == "-" else notebook)
    data, path = _read(notebook, in_repository=published and outputs)
    nb = parse_notebook(data, path=name)
    notes = []
    if published and outputs and path is not None:
        from nbcollab.git.outputs.view import published_for_show

        where = Path.cwd() if not notebook.exists() else notebook.resolve().parent
        notes = published_for_show(nb, data, path, where)
    use_color = color is ColorMode.ALWAYS or (
        color is ColorMode.AUTO and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    )
    options = ShowOptions(
        outputs=outputs,
        color=use_color,
        cell=cell,
        width=min(100, shutil.get_terminal_size().columns),
    )
    write_paged(show_notebook(nb, name=name, options=options, notes=notes), enabled=pager)


def _read(notebook: Path, *, in_repository: bool) -> tuple[bytes, str | None]:
    """The bytes to show and, with ``in_repository``, the notebook's path in its repository
    when it may have published outputs (a revision's notebook, or a file inside one)."""
    from nbcollab.files import read_file_bytes

    name = str(notebook)
    if name == "-":
        return sys.stdin.buffer.read(), None
    if not notebook.exists() and ":" in name:
        from nbcollab.git.outputs.view import read_revision_file

        found = read_revision_file(name, Path.cwd())
        if found is not None:
            return found
    data = read_file_bytes(notebook)
    return data, _in_repository(notebook) if in_repository else None


def _in_repository(notebook: Path) -> str | None:
    """The file's path from the top of its repository; None outside one."""
    from nbcollab.errors import NbcollabError
    from nbcollab.git.outputs.refs import repository_root

    try:
        root = repository_root(notebook.resolve().parent)
    except (NbcollabError, OSError):
        return None
    try:
        return notebook.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
