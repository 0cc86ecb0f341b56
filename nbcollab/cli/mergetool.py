"""``nbcollab mergetool``: resolve notebook conflicts in the browser (also ``git mergetool``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nbcollab.errors import EXIT_OK


def register(app: typer.Typer) -> None:
    """Add the ``mergetool`` command to ``app``."""
    app.command("mergetool")(mergetool)


def mergetool(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Notebooks with conflicts (default: every unmerged notebook of the repository)."
        ),
    ] = None,
    port: Annotated[
        int,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            envvar="NBCOLLAB_MERGETOOL_PORT",
            help="Port on 127.0.0.1 (default: a free one).",
        ),
    ] = 0,
    browser: Annotated[
        bool,
        typer.Option(
            "--browser/--no-browser",
            envvar="NBCOLLAB_MERGETOOL_BROWSER",
            help="Open the page, or only print its URL (over SSH).",
        ),
    ] = True,
    outputs: Annotated[
        str | None,
        typer.Option(
            "--outputs",
            help="Outputs strategy when the notebook is merged again from git's stages.",
        ),
    ] = None,
    sign: Annotated[
        bool | None,
        typer.Option("--sign/--no-sign", help="Re-sign the result when the trust policy allows."),
    ] = None,
) -> None:
    """Resolve merge conflicts in a local web page; exit 0 once none is left, 1 otherwise."""
    from nbcollab.config.folders import ConfigByFolder, SectionByFolder
    from nbcollab.mergetool.run import find_notebooks, open_sessions, serve, set_aside_resolved
    from nbcollab.safe_text import terminal_safe

    files = find_notebooks(list(paths or []))
    if not files:
        typer.echo("nbcollab mergetool: no notebook in conflict here", err=True)
        raise typer.Exit(EXIT_OK)
    # Each notebook is merged by its own folder's [tool.nbcollab.merge]; all are read first, so a
    # broken pyproject.toml is one error before any page opens.
    options_for = SectionByFolder(
        ConfigByFolder(), lambda config: config.merge, outputs=outputs, sign=sign
    )
    chosen = [options_for(path) for path in files]
    sessions = open_sessions(files, options_for=options_for)

    def say(line: str) -> None:
        typer.echo(terminal_safe(line))

    # A save re-signs only when every notebook's options allow it (signing grants trust).
    signs = all(options.sign for options in chosen)
    pending = set_aside_resolved(sessions, sign=signs, say=say)
    if not pending:
        say("nbcollab mergetool: nothing left to resolve")
        raise typer.Exit(EXIT_OK)
    raise typer.Exit(serve(pending, sign=signs, port=port, open_browser=browser, say=say))
