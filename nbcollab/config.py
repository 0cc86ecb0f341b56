"""Options for every capability, loaded from ``[tool.nbcollab]`` in pyproject.toml.

Each capability has one frozen dataclass of its options; the library functions take it as a
keyword argument. The file's keys are kebab-case (``keep-outputs``); snake_case is accepted too.
Unknown keys are errors, so a typo never passes silently. Command-line flags override the file
through ``merge_overrides``. pydantic validates the file and the overrides; it is imported only
when there is something to validate, because the git drivers run once per file and its import
plus model building cost ~80 ms.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from nbcollab.errors import ConfigError
from nbcollab.export.options import ExportOptions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def _kebab(name: str) -> str:
    return name.replace("_", "-")


# pydantic's config for the option classes (a plain dict, so defining them needs no pydantic).
_PYDANTIC_CONFIG = {"extra": "forbid", "alias_generator": _kebab, "populate_by_name": True}
_options = dataclass(frozen=True, kw_only=True)


@_options
class CleanOptions:
    """What ``clean`` and the git filter strip from a notebook."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    keep_outputs: bool = False
    keep_execution_count: bool = False
    keep_output_tag: str = "keep_output"
    keep_output_types: tuple[str, ...] = ()
    drop_output_types: tuple[str, ...] = ()
    max_output_bytes: int | None = None
    extra_keys: tuple[str, ...] = ()
    keep_keys: tuple[str, ...] = ()
    drop_empty_cells: bool = False
    repair_ids: bool = True

    def __post_init__(self) -> None:
        if self.max_output_bytes is not None and self.max_output_bytes < 0:
            raise ValueError("max-output-bytes must be 0 or more")


@_options
class DiffOptions:
    """What ``diff`` compares; the ignore flags drop parts of the notebook from the comparison."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    ignore_sources: bool = False
    ignore_outputs: bool = False
    ignore_metadata: bool = False
    ignore_execution_counts: bool = False
    ignore_ids: bool = False
    ignore_attachments: bool = False
    normalize_outputs: bool = False


class OutputStrategy(str, Enum):
    """How a merge resolves outputs and execution counts, which are derived data."""

    AUTO = "auto"
    OURS = "ours"
    THEIRS = "theirs"
    CLEAR = "clear"
    UNION = "union"
    CONFLICT = "conflict"


@_options
class MergeOptions:
    """How ``merge`` and the git merge driver combine three versions."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    outputs: OutputStrategy = OutputStrategy.AUTO
    sign: bool = True


@_options
class Config:
    """Everything under ``[tool.nbcollab]``."""

    __pydantic_config__ = _PYDANTIC_CONFIG
    clean: CleanOptions = field(default_factory=CleanOptions)
    diff: DiffOptions = field(default_factory=DiffOptions)
    merge: MergeOptions = field(default_factory=MergeOptions)
    export: ExportOptions = field(default_factory=ExportOptions)


M = TypeVar("M")


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
    return parse_config(table, source=str(pyproject))


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
    fields = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}  # type: ignore[arg-type]
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
