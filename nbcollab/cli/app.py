"""The typer application: every command a user runs, each registered by its capability's module.

Exceptions become exit codes in ``nbcollab.cli.errors.exit_codes`` only.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from nbcollab import __version__
from nbcollab.cli.errors import exit_codes
from nbcollab.errors import ConfigError

# typer's own control flow (exit, abort, usage errors); it vendors click in recent versions.
_CLICK_EXCEPTION: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
_TYPER_FLOW = (typer.Exit, typer.Abort, _CLICK_EXCEPTION)
_USAGE_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


class _ErrorMappingGroup(TyperGroup):
    """Every command runs inside the one error mapper; its help reads as words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from nbcollab.cli.help import polish_help

        polish_help(self)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        with exit_codes(passthrough=_TYPER_FLOW):
            try:
                return super().invoke(ctx)
            except typer.BadParameter as exc:
                _reword(exc)
                raise
            except ConfigError as exc:
                if exc.option is None:
                    raise
                # A command-line value: said with the flag the user typed.
                reason = str(exc).partition(": ")[2] or str(exc)
                raise ConfigError(f"{_flag(self, ctx, exc.option)}: {reason}") from None

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """A mistyped command is answered with the visible commands it may mean, never a git
        entry point (``difff`` -> ``diff``, not ``git-diff``)."""
        try:
            return super().resolve_command(ctx, args)
        except _USAGE_ERROR as exc:
            if args and not args[0].startswith("-"):
                visible = [name for name, cmd in self.commands.items() if not cmd.hidden]
                close = get_close_matches(args[0], visible)
                exc.message = f"No such command {args[0]!r}." + (
                    f" Did you mean {', '.join(repr(name) for name in close)}?" if close else ""
                )
            raise


def _reword(exc: Any) -> None:
    """typer validates some values with pydantic: its words become nbcollab's."""
    errors = getattr(exc.__cause__, "errors", None)
    if callable(errors):
        from nbcollab.errors import invalid_value

        exc.message = "; ".join(invalid_value(error) for error in errors())


def _flag(group: TyperGroup, ctx: typer.Context, option: str) -> str:
    """The command-line flag of the invoked command's parameter ``option``."""
    command = group.get_command(ctx, ctx.invoked_subcommand or "")
    for param in getattr(command, "params", ()):
        if param.name == option and param.opts:
            return str(max(param.opts, key=len))
    return "--" + option.replace("_", "-")


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
        outputs,
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
    outputs.register(app)


_register_commands()
