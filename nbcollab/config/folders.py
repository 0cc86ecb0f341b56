"""Configuration for a path: its folder's nearest pyproject.toml, read once, plus overrides.

``ConfigByFolder`` is the one way every command and git entry point finds the configuration of a
path: the nearest pyproject.toml at or above the path's folder, as the git filter has always
read it. An interface builds one per command (per git process) and passes it, or the options
taken from it, down. It remembers each folder's pyproject.toml and each file's ``Config``, or the
``ConfigError`` that file gives, so a ``git add`` of 1,000 notebooks reads each pyproject.toml
once and reports a broken one with the same message each time.

``SectionByFolder`` gives one section of that configuration with the command line's overrides
(``OptionsByFolder``: the clean options, as the filter and ``clean`` use them); ``options(path)``
is what the filter calls for every notebook, answered from the text of the path's folder once
that folder was seen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from nbcollab.config.find import nearest_pyproject
from nbcollab.config.model import Config
from nbcollab.errors import ConfigError

if TYPE_CHECKING:
    from nbcollab.options import CleanOptions
    from nbcollab.output_cache.options import CacheOptions

M = TypeVar("M")

# Where a path's folder is named by what ends in its last "/".
_POSIX = os.sep == "/" and os.altsep is None


class ConfigByFolder:
    """``config_for(path)``: the ``Config`` of a file's folder; relative paths from ``root``."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self._root = os.fspath(root) if root is not None else os.getcwd()
        self._pyproject_in: dict[str, str | None] = {}  # folder as asked -> its pyproject.toml
        self._configs: dict[str, Config | ConfigError] = {}  # pyproject.toml -> what it gives

    def config_for(self, path: str | os.PathLike[str]) -> Config:
        """The configuration that applies to the file at ``path``."""
        return self.config_in(_folder_of(os.path.join(self._root, path)))

    __call__ = config_for

    def config_in(self, folder: str | os.PathLike[str]) -> Config:
        """The configuration that applies in ``folder`` (raises its ConfigError when broken)."""
        pyproject = self.pyproject_in(folder)
        if pyproject is None:
            return _DEFAULTS
        found = self._configs.get(pyproject)
        if found is None:
            found = self._configs[pyproject] = _read(pyproject)
        if isinstance(found, ConfigError):
            raise ConfigError(*found.args) from None  # a fresh one: tracebacks do not pile up
        return found

    def cache_in(self, root: str | os.PathLike[str]) -> CacheOptions:
        """``[tool.nbcollab.cache]`` at the top of the working tree ``root``, or the defaults
        when that configuration cannot be read: the filter has said so once already, and a
        checkout must not lose its outputs for it."""
        try:
            return self.config_in(root).cache
        except ConfigError:
            return _DEFAULTS.cache

    def pyproject_for(self, path: str | os.PathLike[str]) -> Path | None:
        """The pyproject.toml whose configuration applies to the file at ``path``, if any."""
        found = self.pyproject_in(_folder_of(os.path.join(self._root, path)))
        return Path(found) if found is not None else None

    def project_folder(self, path: str | os.PathLike[str]) -> Path:
        """The folder of the pyproject.toml that applies to the file at ``path``, else the
        file's own folder: what the file's configured paths are relative to."""
        pyproject = self.pyproject_for(path)
        return (
            pyproject.parent if pyproject is not None else Path(self._root, path).resolve().parent
        )

    def pyproject_in(self, folder: str | os.PathLike[str]) -> str | None:
        """The nearest pyproject.toml at or above ``folder`` (remembered per folder)."""
        key = os.path.join(self._root, folder)
        if key not in self._pyproject_in:
            self._pyproject_in[key] = nearest_pyproject(key)
        return self._pyproject_in[key]


def _folder_of(path: str) -> str:
    return os.path.dirname(path) or "."


def _read(pyproject: str) -> Config | ConfigError:
    from nbcollab.config.load import read_config

    try:
        config = read_config(Path(pyproject))
    except ConfigError as exc:
        return exc
    _warn_if_hiding(pyproject)
    return config


def _warn_if_hiding(pyproject: str) -> None:
    """Say once when ``pyproject``'s [tool.nbcollab] hides tables of one above it: the nearest
    one applies whole, as with ruff and black, and a table it lacks is not taken from above."""
    from nbcollab.config.find import HiddenTablesWarning, hidden_tables

    found = hidden_tables(pyproject)
    if found is None:
        return
    import warnings

    from nbcollab.safe_text import terminal_safe

    above, names = found
    tables = ", ".join(f"[tool.nbcollab.{name}]" for name in names)
    verb = "does" if len(names) == 1 else "do"
    warnings.warn(
        HiddenTablesWarning(
            terminal_safe(
                f"{pyproject}: its [tool.nbcollab] applies below it in place of {above}'s, so "
                f"{tables} from there {verb} not apply here; copy what this folder needs",
                one_line=True,
            )
        ),
        stacklevel=2,
    )


_DEFAULTS = Config()


class SectionByFolder(Generic[M]):
    """``options(path)``: one section of a path's configuration, with command-line overrides
    merged once per pyproject.toml."""

    def __init__(
        self, configs: ConfigByFolder, section: Callable[[Config], M], **overrides: Any
    ) -> None:
        self.configs = configs
        self._section = section
        # What the command line gave (None: not given); none at all needs no validation.
        self._overrides = {key: value for key, value in overrides.items() if value is not None}
        self._merged: dict[int, tuple[Config, M]] = {}  # id(config) -> (config, its options)
        # By the folder part of a path as given: the filter asks once per notebook, and joining
        # paths costs more than the rest of a look-up.
        self._by_text: dict[str, M] = {}

    def __call__(self, path: str | os.PathLike[str]) -> M:
        # Up to its last "/": "/x.ipynb" and "x.ipynb" are in different folders.
        text = path[: path.rfind("/") + 1] if isinstance(path, str) and _POSIX else None
        found = self._by_text.get(text) if text is not None else None
        if found is not None:
            return found
        options = self.options_in(self.configs.config_for(path))
        if text is not None:
            self._by_text[text] = options
        return options

    def options_in(self, config: Config) -> M:
        """This section of ``config``, with the overrides."""
        merged = self._merged.get(id(config))
        if merged is None or merged[0] is not config:
            options = self._section(config)
            if self._overrides:
                from nbcollab.config.load import merge_overrides

                options = merge_overrides(options, **self._overrides)  # type: ignore[type-var]
            merged = self._merged[id(config)] = (config, options)
        return merged[1]


def _clean(config: Config) -> CleanOptions:
    return config.clean


class OptionsByFolder(SectionByFolder["CleanOptions"]):
    """The clean options of a notebook path (relative to ``root``), as the filter and ``clean``
    read them, so that ``clean --check --staged`` (the hook) judges a notebook by the options the
    filter used when it stored it."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        configs: ConfigByFolder | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(
            configs if configs is not None else ConfigByFolder(root), _clean, **overrides
        )
