"""The lean entry: ``clean``, static ``lint`` and ``conflicts`` run without typer on plain arguments.

A pre-commit hook or an editor runs ``nbcollab clean --check FILE`` for one notebook; building the
typer app (its import, its parameter types, their validation) costs several times the work. The
commands people run per file are parsed here with their own flags, and their work is the same
function the typer command calls (``nbcollab.cli.clean_run``, ``nbcollab.cli.lint_run``).

Only what is certainly valid runs here: ``--help``, an unknown or misspelt flag, a missing or
unusual value, a combination the command refuses, ``--execute``... all return None, and the
typer app answers them with its own words. So every message, exit code and help text is the
typer app's, and this parser only has to be right about the argument lists it accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# An integer as the typer app reads it, without the forms where readers may differ ("1_000", " 7").
_PLAIN_INT = re.compile(r"[0-9]{1,18}")


class Spec:
    """The flags of one command: each maps a command-line name to a parameter name."""

    def __init__(
        self,
        *,
        flags: dict[str, str] | None = None,
        repeated: dict[str, str] | None = None,
        single: dict[str, tuple[str, Callable[[str], Any]]] | None = None,
        short: dict[str, str] | None = None,
    ) -> None:
        self.flags = flags or {}  # on when given
        self.repeated = repeated or {}  # a value, any number of times
        self.single = single or {}  # one value, converted (None: not plain)
        self.short = short or {}  # "-f" -> "--format"

    def flag_of(self, name: str) -> str:
        """The command-line flag of parameter ``name`` (the longest, as the typer app says it)."""
        every = [*self.flags.items(), *self.repeated.items()]
        every += [(flag, dest) for flag, (dest, _) in self.single.items()]
        return max((flag for flag, dest in every if dest == name), key=len)


def parse(argv: list[str], spec: Spec) -> tuple[list[str], dict[str, Any]] | None:
    """(positional arguments, given options) of ``argv``, or None when it is not plain."""
    positional: list[str] = []
    given: dict[str, Any] = {}
    args = iter(argv)
    for arg in args:
        if arg == "--":
            positional.extend(args)
            break
        if arg == "-" or not arg.startswith("-"):
            positional.append(arg)
            continue
        name, eq, inline = arg.partition("=")
        name = spec.short.get(name, name) if not eq else name
        if name in spec.flags and not eq:
            given[spec.flags[name]] = True
            continue
        if name not in spec.repeated and name not in spec.single:
            return None  # --help, a typo, a short form the typer app reads its own way
        value = inline if eq else next(args, None)
        if value is None or (not eq and value.startswith("-")):
            return None  # missing, or a value that looks like a flag: the typer app decides
        if name in spec.repeated:
            given.setdefault(spec.repeated[name], []).append(value)
            continue
        dest, convert = spec.single[name]
        if dest in given:
            return None  # given twice: the typer app's rule
        converted = convert(value)
        if converted is None:
            return None
        given[dest] = converted
    return positional, given


def _plain_int(value: str) -> int | None:
    return int(value) if _PLAIN_INT.fullmatch(value) else None


def _positive_int(value: str) -> int | None:
    """``-j/--jobs``: 1 or more (the typer app says what is wrong with 0)."""
    number = _plain_int(value)
    return number if number is not None and number >= 1 else None


def _choice(values: Callable[[], dict[str, Any]]) -> Callable[[str], Any]:
    return lambda value: values().get(value)


CLEAN = Spec(
    flags={
        "--check": "check",
        "--stdin": "stdin",
        "--staged": "staged",
        "--keep-outputs": "keep_outputs",
        "--keep-count": "keep_execution_count",
        "--drop-empty-cells": "drop_empty_cells",
        "--strip-init-cells": "strip_init_cells",
        "--strip-cell-metadata": "strip_cell_metadata",
        "--drop-notebook-metadata": "drop_notebook_metadata",
        "--normalize": "normalize",
    },
    repeated={
        "--keep-output-type": "keep_output_types",
        "--drop-output-type": "drop_output_types",
        "--extra-key": "extra_keys",
        "--keep-key": "keep_keys",
        "--drop-tagged-cells": "drop_tagged_cells",
        "--keep-cell-metadata": "keep_cell_metadata",
    },
    single={
        "--max-output-bytes": ("max_output_bytes", _plain_int),
        "--jobs": ("jobs", _positive_int),
    },
    short={"-j": "--jobs"},
)


def _formats() -> dict[str, Any]:
    from nbcollab.lint.formats import Format

    return {f.value: f for f in Format}


def _severities() -> dict[str, Any]:
    from nbcollab.lint.codes import Severity

    return {s.value: s for s in Severity}


# Static lint only: --execute and its options, and --list-codes, go to the typer app.
LINT = Spec(
    flags={"--update-baseline": "update_baseline"},
    repeated={"--select": "select", "--extend-select": "extend_select", "--ignore": "ignore"},
    single={
        "--format": ("fmt", _choice(_formats)),
        "--fail-on": ("fail_on", _choice(_severities)),
        "--baseline": ("baseline", Path),
        "--cell": ("cell", str),
        "--jobs": ("jobs", _positive_int),
    },
    short={"-f": "--format", "-j": "--jobs"},
)


def run_clean(argv: list[str]) -> int | None:
    """``nbcollab clean ARGV``'s exit code, or None for the typer app to answer."""
    from nbcollab.cli.clean_run import run_clean as clean
    from nbcollab.cli.clean_run import usage_problem

    parsed = parse(argv, CLEAN)
    if parsed is None:
        return None
    positional, given = parsed
    paths = [Path(arg) for arg in positional]
    modes = {name: given.pop(name, False) for name in ("check", "stdin", "staged")}
    if usage_problem(paths, **modes) is not None:
        return None
    with _flags_named(CLEAN):
        return clean(paths, **modes, **given)


def run_lint(argv: list[str]) -> int | None:
    """``nbcollab lint ARGV``'s exit code (static lint), or None for the typer app to answer."""
    from nbcollab.cli.lint_run import CellCountProblem, codes, usage_problem
    from nbcollab.cli.lint_run import run_lint as lint

    parsed = parse(argv, LINT)
    if parsed is None:
        return None
    positional, given = parsed
    paths = [Path(arg) for arg in positional]
    for name in ("select", "extend_select", "ignore"):
        if name in given:
            given[name] = codes(given[name])
    checked = {
        "baseline": given.get("baseline"),
        "update_baseline": given.get("update_baseline", False),
        "cell": given.get("cell"),
    }
    if usage_problem(paths, **checked, execute=False, write=False, no_cache=False) is not None:
        return None
    if "cell" in given and (len(paths) != 1 or paths[0].is_dir()):
        return None  # --cell with a folder or several paths: the typer app says how many
    try:
        with _flags_named(LINT):
            return lint(paths, **given)
    except CellCountProblem:
        return None  # the one file is excluded by [tool.nbcollab.lint]: nothing was said yet


def run_conflicts(argv: list[str]) -> int | None:
    """``nbcollab conflicts PATH...``'s exit code (the pre-commit hook's call), or None for the
    typer app to answer (no paths: the repository's unmerged notebooks, found through git)."""
    from nbcollab.cli.clean_run import expand_notebook_paths
    from nbcollab.cli.conflicts_run import run_conflicts as conflicts

    parsed = parse(argv, Spec())
    if parsed is None or not parsed[0]:
        return None
    return conflicts(expand_notebook_paths([Path(arg) for arg in parsed[0]]))


@contextmanager
def _flags_named(spec: Spec) -> Iterator[None]:
    """A command-line value the options refuse is said with its flag, as the typer app says it
    (``--max-output-bytes: max-output-bytes must be 0 or more``)."""
    from nbcollab.errors import ConfigError

    try:
        yield
    except ConfigError as exc:
        if exc.option is None:
            raise
        reason = str(exc).partition(": ")[2] or str(exc)
        raise ConfigError(f"{spec.flag_of(exc.option)}: {reason}") from None


LEAN_COMMANDS: dict[str, Callable[[list[str]], int | None]] = {
    "clean": run_clean,
    "lint": run_lint,
    "conflicts": run_conflicts,
}
