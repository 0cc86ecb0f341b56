"""The exceptions nbcollab raises for problems a user can fix.

Every message names the file and the place (``path:line:col`` or ``cell N (id X)``). Each class
says which exit code it means; ``nbcollab.cli.errors.exit_codes`` is the one place that turns
exceptions into that code and a one-line message, for the typer app and git's entry points alike.
"""

from __future__ import annotations

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
    """``[tool.nbcollab]`` or a command-line option is wrong."""


class NotARepository(NbcollabError):
    """A git command was asked for outside a git repository."""


class GitError(NbcollabError):
    """git itself failed or is missing."""
