"""Load ``[tool.nbcollab]`` from the nearest pyproject.toml and merge command-line overrides.

pydantic validates the file and the overrides; it is imported only when there is something to
validate, because the git drivers run once per file and its import plus model building cost
~80 ms. Errors name the file and the key.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from nbcollab.config.model import Config
from nbcollab.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

M = TypeVar("M", bound="DataclassInstance")


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` (a file or a folder)."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder.resolve(), *folder.resolve().parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
    return None


def load_config(start: Path | None = None) -> Config:
    """The config of the project holding ``start`` (default: the current folder)."""
    pyproject = find_pyproject(start or Path.cwd())
    if pyproject is None:
        return Config()
    try:
        with pyproject.open("rb") as handle:
            table = tomllib.load(handle).get("tool", {}).get("nbcollab", {})
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot read ({exc.strerror})") from None
    return _with_normalize(parse_config(table, source=str(pyproject)), pyproject)


def _with_normalize(config: Config, pyproject: Path) -> Config:
    """``[tool.nbcollab.normalize]`` (with its sanitize file read) handed to the clean options."""
    normalize = config.normalize
    if normalize.sanitize_file:
        from nbcollab.clean.normalize import read_sanitize_file

        path = pyproject.parent / normalize.sanitize_file
        try:
            text = path.read_text(encoding="utf-8")
            rules = read_sanitize_file(text, path=str(path))
        except OSError as exc:
            raise ConfigError(
                f"{pyproject}: sanitize-file {path}: cannot read ({exc.strerror})"
            ) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"{pyproject}: sanitize-file: {exc}") from None
        normalize = dataclasses.replace(normalize, replace=(*normalize.replace, *rules))
    if normalize == config.clean.normalize_options:
        return config
    clean = dataclasses.replace(config.clean, normalize_options=normalize)
    return dataclasses.replace(config, clean=clean, normalize=normalize)


def parse_config(table: dict[str, Any], *, source: str = "pyproject.toml") -> Config:
    """Validate a ``[tool.nbcollab]`` table; errors name the key."""
    if not table:
        return Config()
    return _validate(Config, table, where=f"{source}: [tool.nbcollab] ")


def merge_overrides(options: M, **overrides: Any) -> M:
    """``options`` with the given fields replaced; ``None`` means "not given on the command line"."""
    given = {key: value for key, value in overrides.items() if value is not None}
    if not given:
        return options
    fields = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    try:
        return _validate(type(options), {**fields, **given}, where="option ")
    except ConfigError:
        # Said with the option whose value is wrong (a check across fields names none).
        for key, value in given.items():
            try:
                _validate(type(options), {**fields, key: value}, where="")
            except ConfigError as exc:
                reason = str(exc).partition(": ")[2] or str(exc)
                raise ConfigError(f"option {key}: {reason}", option=key) from None
        raise


def _validate(kind: type[M], data: dict[str, Any], *, where: str) -> M:
    from pydantic import TypeAdapter, ValidationError

    from nbcollab.errors import invalid_value

    try:
        return TypeAdapter(kind).validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        place = f"{where}{key}" if key else where.rstrip()
        raise ConfigError(f"{place}: {invalid_value(first)}") from None
