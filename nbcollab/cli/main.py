"""The ``nbcollab`` executable.

git runs the merge driver, the textconv, the external diff and the one-file filter once per file.
Building the typer app (its import, its parameter handling and every command) costs ~100 ms a
call, more than the work itself. git's entry points take exactly the arguments git passes, so
``main`` runs them directly (``nbcollab.git.entry``), inside the same error mapper as the typer
app; every other command goes to the typer app.
"""

from __future__ import annotations

import sys

from nbcollab.git.entry import GIT_ENTRY_POINTS


def main() -> None:
    """Console-script entry point: git's entry points directly, everything else through typer."""
    argv = sys.argv[1:]
    entry = GIT_ENTRY_POINTS.get(argv[0]) if argv else None
    if entry is None or "--help" in argv[1:] or "-h" in argv[1:]:
        from nbcollab.cli.app import app

        app()
        return
    from nbcollab.cli.errors import exit_codes

    with exit_codes():  # e.g. a broken [tool.nbcollab] for the one-file filter
        code = entry(argv[1:])
    sys.exit(code)
