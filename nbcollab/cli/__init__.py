"""The ``nbcollab`` command line: thin typer commands over the library.

This package is the only place that turns exceptions into exit codes: 0 ok; 1 changes, findings,
differences or conflicts (raised by commands as ``typer.Exit(1)``); 2 bad input or usage; 130
interrupted. Each submodule registers the commands of one capability.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from nbcollab import __version__
from nbcollab.errors import NbcollabError

EXIT_OK = 0
EXIT_CHANGED = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def fail(message: str) -> typer.Exit:
    """Print one error line on stderr; the caller raises the returned exit (code 2)."""
    typer.echo(f"nbcollab: error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


# typer's own control flow (exit, abort, usage errors); it vendors click in recent versions.
_CLICK_EXCEPTION: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
_TYPER_FLOW = (typer.Exit, typer.Abort, _CLICK_EXCEPTION)


class _ErrorMappingGroup(TyperGroup):
    """Maps nbcollab's exceptions to one-line messages and exit codes, for every command."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except NbcollabError as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            typer.echo("nbcollab: interrupted", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # The reader went away (e.g. `nbcollab diff | head`); nothing left to say.
            sys.stderr.close()
            raise typer.Exit(EXIT_OK) from None
        except _TYPER_FLOW:
            raise
        except Exception as exc:
            # A bug, not bad input: still one line and exit 2, never 1, which means "changes"
            # or "conflicts" to git and CI. NBCOLLAB_DEBUG=1 shows the traceback.
            if os.environ.get("NBCOLLAB_DEBUG"):
                raise
            raise fail(
                f"internal error: {type(exc).__name__}: {exc} (NBCOLLAB_DEBUG=1 shows the traceback)"
            ) from None


app = typer.Typer(
    cls=_ErrorMappingGroup,
    name="nbcollab",
    help="Jupyter notebooks as first-class citizens of git: clean, diff, merge and trust.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"nbcollab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Jupyter notebooks as first-class citizens of git: clean, diff, merge and trust."""


def _register_commands() -> None:
    # Each module imports only what its commands need at call time, keeping start-up fast.
    from nbcollab.cli import clean, diff, export, gitsetup, merge, trust

    for module in (clean, gitsetup, diff, merge, trust, export):
        module.register(app)


_register_commands()
