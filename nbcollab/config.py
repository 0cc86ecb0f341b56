"""Options for every capability, loaded from ``[tool.nbcollab]`` in pyproject.toml.

Each capability has one pydantic model of its options; the library functions take that model as a
keyword argument. The file's keys are kebab-case (``keep-outputs``); snake_case is accepted too.
Unknown keys are errors, so a typo never passes silently. Command-line flags override the file
through ``merge_overrides``.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nbcollab.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class Options(BaseModel):
    """Base of every options model: frozen, kebab-case keys, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=_kebab, populate_by_name=True
    )


class CleanOptions(Options):
    """What ``clean`` and the git filter strip from a notebook."""

    keep_outputs: bool = False
    keep_execution_count: bool = False
    keep_output_tag: str = "keep_output"
    keep_output_types: tuple[str, ...] = ()
    drop_output_types: tuple[str, ...] = ()
    max_output_bytes: int | None = Field(default=None, ge=0)
    extra_keys: tuple[str, ...] = ()
    keep_keys: tuple[str, ...] = ()
    drop_empty_cells: bool = False
    repair_ids: bool = True


class DiffOptions(Options):
    """What ``diff`` compares; the ignore flags drop parts of the notebook from the comparison."""

    ignore_sources: bool = False
    ignore_outputs: bool = False
    ignore_metadata: bool = False
    ignore_execution_counts: bool = False
    ignore_ids: bool = False
    ignore_attachments: bool = False


class OutputStrategy(str, Enum):
    """How a merge resolves outputs and execution counts, which are derived data."""

    AUTO = "auto"
    OURS = "ours"
    THEIRS = "theirs"
    CLEAR = "clear"
    UNION = "union"
    CONFLICT = "conflict"


class MergeOptions(Options):
    """How ``merge`` and the git merge driver combine three versions."""

    outputs: OutputStrategy = OutputStrategy.AUTO
    sign: bool = True


class Config(Options):
    """Everything under ``[tool.nbcollab]``."""

    clean: CleanOptions = CleanOptions()
    diff: DiffOptions = DiffOptions()
    merge: MergeOptions = MergeOptions()


M = TypeVar("M", bound=BaseModel)


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
    try:
        return Config.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"{source}: [tool.nbcollab] {where}: {first['msg']}"
        ) from None


def merge_overrides(options: M, **overrides: Any) -> M:
    """``options`` with the given fields replaced; ``None`` means "not given on the command line"."""
    given = {key: value for key, value in overrides.items() if value is not None}
    if not given:
        return options
    try:
        return type(options).model_validate({**options.model_dump(), **given})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"option {first['loc'][0]}: {first['msg']}") from None
