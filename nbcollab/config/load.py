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

# The sections that carry [tool.nbcollab.normalize], filled in here: not keys of the file.
_NORMALIZED_SECTIONS = ("clean", "diff", "merge", "lint")
_DERIVED_KEYS = ("normalize-options", "normalize_options")


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
    """``[tool.nbcollab.normalize]`` (with its sanitize file read) handed to every section that
    normalizes outputs, so that ``clean --normalize``, ``diff --normalize-outputs``, the merge's
    output comparison and ``lint --execute`` apply the same rules."""
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
    if normalize == config.clean.normalize_options:  # the defaults everywhere: nothing to hand
        return config
    return dataclasses.replace(
        config,
        normalize=normalize,
        clean=dataclasses.replace(config.clean, normalize_options=normalize),
        diff=dataclasses.replace(config.diff, normalize_options=normalize),
        merge=dataclasses.replace(config.merge, normalize_options=normalize),
        lint=dataclasses.replace(config.lint, normalize_options=normalize),
    )


def parse_config(table: dict[str, Any], *, source: str = "pyproject.toml") -> Config:
    """Validate a ``[tool.nbcollab]`` table; errors name the key."""
    if not table:
        return Config()
    for section in _NORMALIZED_SECTIONS:
        value = table.get(section)
        derived = [key for key in _DERIVED_KEYS if isinstance(value, dict) and key in value]
        if derived:  # filled in from [tool.nbcollab.normalize], never written here
            raise ConfigError(
                f"{source}: [tool.nbcollab] {section}.{derived[0]}: unknown key "
                "(normalize options go in [tool.nbcollab.normalize])"
            )
    return _validate(Config, table, where=f"{source}: [tool.nbcollab] ")


def merge_overrides(options: M, **overrides: Any) -> M:
    """``options`` with the given fields replaced; ``None`` means "not given on the command line"."""
    given = {key: value for key, value in overrides.items() if value is not None}
    if not given:
        return options
    fields = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    return _validate(type(options), {**fields, **given}, where="option ")


def _validate(kind: type[M], data: dict[str, Any], *, where: str) -> M:
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(kind).validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        message = "unknown key" if first["type"] == "unexpected_keyword_argument" else first["msg"]
        raise ConfigError(f"{where}{key}: {message}") from None
