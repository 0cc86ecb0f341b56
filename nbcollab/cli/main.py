"""The ``nbcollab`` executable.

git runs the merge driver, the textconv, the external diff and the one-file filter once per file;
hooks and editors run ``clean`` and ``lint`` once per commit or save. Building the typer app (its
import, its parameter handling and every command) costs several times the work itself. git's
entry points take exactly the arguments git passes, so ``main`` runs them directly
(``nbcollab.git.entry``); ``clean``, static ``lint`` and ``conflicts`` with plain arguments run
through the lean entry (``nbcollab.cli.lean``); both inside the same error mapper as the typer app. Every
other command, ``--help`` and anything the lean entry does not accept go to the typer app.
"""

from __future__ import annotations

import sys

_LEAN = ("clean", "lint", "conflicts")


def main() -> None:
    """Console-script entry point: git's entry points and the lean commands directly,
    everything else through typer."""
    argv = sys.argv[1:]
    if argv and argv[0] in _LEAN:
        _lean(argv)
    from nbcollab.git.entry import GIT_ENTRY_POINTS

    entry = GIT_ENTRY_POINTS.get(argv[0]) if argv else None
    if entry is None or "--help" in argv[1:] or "-h" in argv[1:]:
        from nbcollab.cli.app import app

        app()
        return
    import warnings

    from nbcollab.cli.errors import exit_codes
    from nbcollab.config.find import HiddenTablesWarning

    # git runs these at every status, add and checkout: a layout of configuration files is said
    # by nbcollab's own commands, not at every git command.
    warnings.simplefilter("ignore", HiddenTablesWarning)
    with exit_codes():  # e.g. a broken [tool.nbcollab] for the one-file filter
        code = entry(argv[1:])
    sys.exit(code)


def _lean(argv: list[str]) -> None:
    """Run a lean command and exit, or return for the typer app to answer."""
    from nbcollab.cli.errors import exit_codes
    from nbcollab.cli.lean import LEAN_COMMANDS

    with exit_codes():
        code = LEAN_COMMANDS[argv[0]](argv[1:])
    if code is not None:
        sys.exit(code)
