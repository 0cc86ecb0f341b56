"""The exceptions nbcollab raises for problems a user can fix.

Every message names the file and the place (``path:line:col`` or ``cell N (id X)``). The CLI turns
these into exit code 2 with a one-line message; nothing else in the package decides exit codes.
"""

from __future__ import annotations


class NbcollabError(Exception):
    """Base for every error caused by input, configuration or environment."""


class InvalidNotebook(NbcollabError):
    """A file is not a notebook nbcollab can work on."""


class ConfigError(NbcollabError):
    """``[tool.nbcollab]`` or a command-line option is wrong."""


class NotARepository(NbcollabError):
    """A git command was asked for outside a git repository."""


class GitError(NbcollabError):
    """git itself failed or is missing."""
