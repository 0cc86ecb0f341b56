"""The typer application: every command a user runs, each registered by its capability's module.

Exceptions become exit codes in ``nbcollab.cli.errors.exit_codes`` only.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from nbcollab import __version__
from nbcollab.cli.errors import exit_codes

# typer's own control flow (exit, abort, usage errors); it vendors click in recent versions.
_CLICK_EXCEPTION: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
_TYPER_FLOW = (typer.Exit, typer.Abort, _CLICK_EXCEPTION)


class _ErrorMappingGroup(TyperGroup):
    """Every command runs inside the one error mapper; its help reads as words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from nbcollab.cli.help import polish_help

        polish_help(self)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        with exit_codes(passthrough=_TYPER_FLOW):
            return super().invoke(ctx)


app = typer.Typer(
    cls=_ErrorMappingGroup,
    name="nbcollab",
    help="Jupyter notebooks as first-class citizens of git: clean, diff, merge, lint, export and trust.",
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
        typer.Option(
            "--version", "-V", callback=_show_version, is_eager=True, help="Show the version."
        ),
    ] = None,
) -> None:
    """Jupyter notebooks as first-class citizens of git: clean, diff, merge, lint, export and trust."""


def _register_commands() -> None:
    # Each module imports only what its commands need at call time, keeping start-up fast.
    from nbcollab.cli import (
        cache,
        clean,
        diff,
        execute,
        export,
        gitsetup,
        lint,
        merge,
        mergetool,
        show,
        trust,
    )

    for module in (
        clean,
        gitsetup,
        diff,
        merge,
        mergetool,
        trust,
        show,
        lint,
        execute,
        export,
        cache,
    ):
        module.register(app)


_register_commands()
