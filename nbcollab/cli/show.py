"""``nbcollab show``: a notebook as readable text in the terminal, paged like git."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from nbcollab.cli.diff import ColorMode


def register(app: typer.Typer) -> None:
    """Add ``show`` to ``app``."""
    app.command("show")(show)


def show(
    notebook: Annotated[
        Path,
        typer.Argument(help="The notebook file ('-' reads standard input).", metavar="NOTEBOOK"),
    ],
    outputs: Annotated[
        bool, typer.Option("--outputs/--no-outputs", help="Show the cells' outputs.")
    ] = True,
    cell: Annotated[
        str | None,
        typer.Option(
            "--cell",
            metavar="ID",
            help="Show only this cell: its id, or its index (0 is the first).",
        ),
    ] = None,
    color: Annotated[
        ColorMode, typer.Option("--color", help="Colour headers and sources.")
    ] = ColorMode.AUTO,
    pager: Annotated[
        bool,
        typer.Option(
            "--pager/--no-pager", help="Page long output through $GIT_PAGER, $PAGER or less."
        ),
    ] = True,
) -> None:
    """Print a notebook as text: cell headers, sources with syntax colour, outputs.

    Examples: nbcollab show analysis.ipynb; nbcollab show analysis.ipynb --no-outputs;
    nbcollab show analysis.ipynb --cell 3
    """
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.files import read_file_bytes
    from nbcollab.notebook.codec import parse_notebook
    from nbcollab.render.pager import write_paged
    from nbcollab.render.show import ShowOptions, show_notebook

    name = str(notebook)
    # Read as every command reads it, though nothing in it changes what show prints: a broken
    # pyproject.toml is the same error everywhere, not a surprise at the next git add.
    ConfigByFolder().config_for("-" if name == "-" else notebook)
    data = sys.stdin.buffer.read() if name == "-" else read_file_bytes(notebook)
    nb = parse_notebook(data, path=name)
    use_color = color is ColorMode.ALWAYS or (
        color is ColorMode.AUTO and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    )
    options = ShowOptions(
        outputs=outputs,
        color=use_color,
        cell=cell,
        width=min(100, shutil.get_terminal_size().columns),
    )
    write_paged(show_notebook(nb, name=name, options=options), enabled=pager)
