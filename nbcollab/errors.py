"""The exceptions nbcollab raises for problems a user can fix.

Every message names the file and the place (``path:line:col`` or ``cell N (id X)``). Each class
says which exit code it means; ``nbcollab.cli.errors.exit_codes`` is the one place that turns
exceptions into that code and a one-line message, for the typer app and git's entry points alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The exit codes of every command: what CI, hooks and git read.
EXIT_OK = 0
EXIT_CHANGED = 1  # changes (--check), differences, findings or conflicts
EXIT_ERROR = 2  # bad input, bad configuration, usage, or a bug
EXIT_INTERRUPTED = 130


class NbcollabError(Exception):
    """Base for every error caused by input, configuration or environment."""

    exit_code = EXIT_ERROR


class NbcollabWarning(UserWarning):
    """Base for input nbcollab reads, but not as it is written (shown as one line on stderr)."""


class InvalidNotebook(NbcollabError):
    """A file is not a notebook nbcollab can work on."""


class ConfigError(NbcollabError):
    """``[tool.nbcollab]`` or a command-line option is wrong.

    ``option``: the options field a command-line value was given for, when that value is what is
    wrong; the command line names it by its flag (``--drop-output-type``)."""

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class NotARepository(NbcollabError):
    """A git command was asked for outside a git repository."""


class GitError(NbcollabError):
    """git itself failed or is missing."""


# pydantic's error types, said in nbcollab's words (a value checked in code says its own).
_SAID = {
    "int_parsing": "not a whole number",
    "int_type": "not a whole number",
    "int_from_float": "not a whole number",
    "float_parsing": "not a number",
    "float_type": "not a number",
    "bool_parsing": "not true or false",
    "bool_type": "not true or false",
    "string_type": "not a string",
    "list_type": "not a list",
    "tuple_type": "not a list",
    "dict_type": "not a table",
    "dataclass_type": "not a table",
    "dataclass_args_type": "not a table",
    "model_type": "not a table",
}
_OF_THE_KEY = {
    "missing": "missing",
    "missing_argument": "missing",
    "missing_keyword_argument": "missing",
    "extra_forbidden": "unknown key",
    "unexpected_keyword_argument": "unknown key",
}
_BOUNDS = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}


def invalid_value(error: Mapping[str, Any]) -> str:
    """One of pydantic's validation errors (an item of ``ValidationError.errors()``) as words:
    what is wrong with the value and what is valid, without pydantic's own phrasing."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in _OF_THE_KEY:
        return _OF_THE_KEY[kind]
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"]).rstrip(".")
    value = error.get("input")
    scalar = isinstance(value, (str, int, float))
    if kind in _SAID:
        return f"{value!r} is {_SAID[kind]}" if scalar else _SAID[kind]
    got = f", not {value!r}" if scalar else ""
    bound = next((key for key in _BOUNDS if key in ctx), None)
    if bound is not None:  # a number, or the text of one from the command line
        return f"must be {_BOUNDS[bound]} {ctx[bound]}" + (f", not {value}" if scalar else "")
    if "expected" in ctx:  # enums and literals: "'a', 'b' or 'c'"
        return f"must be one of {ctx['expected']}{got}"
    message = str(error.get("msg", "not valid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:].rstrip(".") + got
